package main

import (
	"fmt"
	"io"
	"net/http"
)

// expect sends req and reads the whole answer; an answer other than want is an
// error naming the request (name) with the status and the answer's body.
func expect(hc *http.Client, req *http.Request, want int, name string) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s: %s: %s", name, resp.Status, answer)
	}
	return nil
}
