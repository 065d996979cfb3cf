package fleet

import (
	"reflect"
	"testing"

	"mysystems/internal/firmware"
)

// TestDEV4_ValuesOf: the list's filters offer each model and each firmware
// version present once, sorted, with the number of devices that have it.
func TestDEV4_ValuesOf(t *testing.T) {
	c := func(model, fw string, n int) firmware.Counted {
		return firmware.Counted{Installed: firmware.Installed{Model: model, Firmware: fw}, Devices: n}
	}
	got := ValuesOf([]firmware.Counted{c("P1468-LE", "12.0.0", 2), c("M3086-V", "11.0.0", 1), c("M3086-V", "12.0.0", 3),
		c("M3086-V", FirmwareUnknown, 1)})
	want := Values{
		Models:    []Value{{"M3086-V", 5}, {"P1468-LE", 2}},
		Firmwares: []Value{{"11.0.0", 1}, {"12.0.0", 5}, {FirmwareUnknown, 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := ValuesOf(nil); len(got.Models) != 0 || len(got.Firmwares) != 0 {
		t.Errorf("no devices: got %+v", got)
	}
}
