package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"mysystems/internal/httpapi"
)

// GW-3: an AXIS OS image goes through the middleware to the connection by
// sendfile: the wrapped response writer still offers io.ReaderFrom, and a
// ranged body copied through it is intact.
func TestGW3_WrapKeepsReaderFrom(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "image")
	body := strings.Repeat("0123456789abcdef", 4096)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	readerFrom := make(chan bool, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /image", func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(io.ReaderFrom)
		readerFrom <- ok
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		st, _ := f.Stat()
		http.ServeContent(w, r, "image", st.ModTime(), f)
	})
	srv := httptest.NewServer(httpapi.Wrap(mux, slog.New(slog.DiscardHandler), httpapi.NewMetrics(prometheus.NewRegistry()), httpapi.Options{}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/image", nil)
	req.Header.Set("Range", "bytes=100-40099")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusPartialContent || string(got) != body[100:40100] {
		t.Fatalf("%d, %d bytes", res.StatusCode, len(got))
	}
	if !<-readerFrom {
		t.Fatal("the middleware hides io.ReaderFrom: images are copied through user space")
	}
}
