module example.com/rehearsal

go 1.22
