module github.com/acme-corp/go-gateway

go 1.22.4

require (
	github.com/go-chi/chi/v5 v5.0.12
	github.com/golang-jwt/jwt/v5 v5.2.1
	github.com/jackc/pgx/v5 v5.6.0
	github.com/redis/go-redis/v9 v9.5.3
	github.com/BurntSushi/toml v1.4.0
	go.uber.org/zap v1.27.0
	golang.org/x/crypto v0.24.0
	golang.org/x/sync v0.7.0
	github.com/bwmarrin/discordgo v0.28.1
	github.com/stretchr/testify v1.9.0
	github.com/acme-corp/go-common v0.0.0-20240511093312-a75038da2872
)
