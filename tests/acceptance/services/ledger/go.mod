module example.com/ledger

go 1.23

require git.corp.example/platform/health v1.4.0
