module example.com/monorepo/api

go 1.22

require example.com/monorepo/libs/health v0.0.0

replace example.com/monorepo/libs/health => ../../libs/health
