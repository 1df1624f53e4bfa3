module example.com/old

go 1.16

require github.com/gin-gonic/gin v1.6.0

replace github.com/gin-gonic/gin => ./gin
