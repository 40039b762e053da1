package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey must match shop-api's JWT_SECRET.
var signingKey = []byte("BqG7yyjdcSs4WdR6VI5q3di6fxYTvTpokXuxrx2WtR9d")

var ErrExpired = errors.New("token expired")

type Claims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

func Issue(sub, scope string, ttl time.Duration) (string, error) {
	c := Claims{Scope: scope, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   sub,
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(signingKey)
}

func Parse(tok string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return signingKey, nil })
	return &c, err
}
