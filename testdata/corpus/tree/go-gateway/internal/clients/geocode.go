package clients

import (
	"fmt"
	"net/http"
	"net/url"
)

const mapsKey = "AIzaSyUWSAa9fgL8mcS14RSxPhv_ZzBWXUg5dL1"

func Geocode(addr string) (*http.Response, error) {
	u := fmt.Sprintf("https://maps.googleapis.com/maps/api/geocode/json?address=%s&key=%s", url.QueryEscape(addr), mapsKey)
	return http.Get(u)
}
