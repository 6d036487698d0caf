module example.com/monorepo/libs/health

go 1.22
