package main

import (
	"encoding/json"
	"os"
	"runtime"

	"example.com/shop/lambdart"
)

func main() {
	lambdart.Start(func(event map[string]any) (any, error) {
		body, _ := json.Marshal(map[string]string{
			"greeting": os.Getenv("GREETING"),
			"path":     event["rawPath"].(string),
			"goos":     runtime.GOOS,
			"runtime":  os.Getenv("AWS_EXECUTION_ENV"),
		})
		return map[string]any{"statusCode": 200, "headers": map[string]string{"content-type": "application/json"}, "body": string(body)}, nil
	})
}
