package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/acme-corp/go-gateway/internal/config"
	"github.com/acme-corp/go-gateway/internal/server"
)

// defaultDSN is only used when DATABASE_URL is unset (local smoke tests against staging).
const defaultDSN = "postgres://gateway:65BqxW8eWN_mD70Hx.uBfg.D~mneS4el@gw-db.staging.acme-corp.net:5432/gateway?sslmode=require"

func main() {
	cfgPath := os.Getenv("GATEWAY_CONFIG")
	if cfgPath == "" {
		cfgPath = "config/config.toml"
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		dsn = defaultDSN
	}
	srv, err := server.New(context.Background(), cfg, dsn)
	if err != nil {
		log.Fatal(err)
	}
	httpSrv := &http.Server{Addr: cfg.Listen, Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s", cfg.Listen)
	log.Fatal(httpSrv.ListenAndServe())
}
