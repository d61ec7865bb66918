// Package lambdart is a Lambda Runtime API client of the standard library alone (the public
// samples use aws-lambda-go, which speaks the same API; this app builds offline).
package lambdart

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
)

// Start serves invocations with handler until the process ends.
func Start(handler func(event map[string]any) (any, error)) {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			os.Exit(1)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var event map[string]any
		_ = json.Unmarshal(body, &event)
		out, err := handler(event)
		if err != nil {
			failure, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "HandlerError"})
			post(base+"/invocation/"+id+"/error", failure)
			continue
		}
		answer, _ := json.Marshal(out)
		post(base+"/invocation/"+id+"/response", answer)
	}
}

func post(url string, body []byte) {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err == nil {
		resp.Body.Close()
	}
}
