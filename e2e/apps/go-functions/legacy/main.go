package main

import (
	"encoding/json"
	"os"

	"example.com/shop/lambdart"
)

func main() {
	lambdart.Start(func(event map[string]any) (any, error) {
		body, _ := json.Marshal(map[string]string{"handler": os.Getenv("_HANDLER"), "executable": os.Args[0]})
		return map[string]any{"statusCode": 200, "body": string(body)}, nil
	})
}
