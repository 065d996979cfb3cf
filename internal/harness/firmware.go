package harness

import (
	"bytes"
	"context"
	"fmt"

	"mysystems/internal/firmware"
)

// Publish publishes an AXIS OS release of model as the vendor does (FW-1),
// with image as its bytes (nil: a small image naming the release).
func (s *Server) Publish(model, version, track string, image []byte) firmware.Published {
	s.T.Helper()
	if image == nil {
		image = []byte(fmt.Sprintf("AXIS OS %s for %s\n", version, model))
	}
	p, err := s.App.Firmware.Publish(context.Background(), Vendor, firmware.PublishInput{Model: model, Version: version, Track: track}, bytes.NewReader(image))
	if err != nil {
		s.T.Fatalf("publish %s %s: %v", model, version, err)
	}
	return p
}
