package license

import (
	"math/rand"
	"testing"
)

// day reads a day written YYYY-MM-DD, for tests.
func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestLIC4_YearStart(t *testing.T) {
	tests := []struct {
		name, anchor string
		k            int
		start, end   string
		days         int
	}{
		{"LIC-4/year 0 is the anchor's", "2023-06-15", 0, "2023-06-15", "2024-06-14", 366},
		{"LIC-4/year 1", "2023-06-15", 1, "2024-06-15", "2025-06-14", 365},
		{"LIC-4/leap year counted in the year holding 29 February", "2023-03-01", 0, "2023-03-01", "2024-02-29", 366},
		{"LIC-4/anchor on 1 March of a leap year", "2024-03-01", 0, "2024-03-01", "2025-02-28", 365},
		{"LIC-4/anchor 29 February, year 0", "2024-02-29", 0, "2024-02-29", "2025-02-27", 365},
		{"LIC-4/anchor 29 February, non-leap anniversary is 28 February", "2024-02-29", 1, "2025-02-28", "2026-02-27", 365},
		{"LIC-4/anchor 29 February, year before a leap year", "2024-02-29", 3, "2027-02-28", "2028-02-28", 366},
		{"LIC-4/anchor 29 February, next leap anniversary", "2024-02-29", 4, "2028-02-29", "2029-02-27", 365},
		{"LIC-4/anchor 29 February, 2100 is not leap", "2096-02-29", 4, "2100-02-28", "2101-02-27", 365},
		{"LIC-4/anchor 29 February, 2000 is leap", "1996-02-29", 4, "2000-02-29", "2001-02-27", 365},
		{"LIC-4/anchor 28 February stays on 28 February", "2023-02-28", 1, "2024-02-28", "2025-02-27", 366},
		{"LIC-4/year before the anchor", "2024-02-29", -1, "2023-02-28", "2024-02-28", 366},
		{"LIC-4/31 December", "2023-12-31", 1, "2024-12-31", "2025-12-30", 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Period{Anchor: day(tt.anchor)}
			if got := p.YearStart(tt.k); got != day(tt.start) {
				t.Errorf("YearStart(%d) = %s, want %s", tt.k, got, tt.start)
			}
			if got := p.YearEnd(tt.k); got != day(tt.end) {
				t.Errorf("YearEnd(%d) = %s, want %s", tt.k, got, tt.end)
			}
			if got := p.DaysInYear(tt.k); got != tt.days {
				t.Errorf("DaysInYear(%d) = %d, want %d", tt.k, got, tt.days)
			}
		})
	}
}

func TestLIC4_YearOf(t *testing.T) {
	tests := []struct {
		name, anchor, day string
		k                 int
		renewal           string
	}{
		{"LIC-4/the anchor day", "2024-02-29", "2024-02-29", 0, "2025-02-28"},
		{"LIC-4/the last day of year 0", "2024-02-29", "2025-02-27", 0, "2025-02-28"},
		{"LIC-4/the 28 February anniversary", "2024-02-29", "2025-02-28", 1, "2026-02-28"},
		{"LIC-4/1 March after the anniversary", "2024-02-29", "2025-03-01", 1, "2026-02-28"},
		{"LIC-4/28 February of a leap year is still the year before", "2024-02-29", "2028-02-28", 3, "2028-02-29"},
		{"LIC-4/29 February of a leap year", "2024-02-29", "2028-02-29", 4, "2029-02-28"},
		{"LIC-4/before the anchor", "2024-02-29", "2024-02-28", -1, "2024-02-29"},
		{"LIC-4/many years later", "2023-06-15", "2031-06-14", 7, "2031-06-15"},
		{"LIC-4/many years later, renewal day", "2023-06-15", "2031-06-15", 8, "2032-06-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Period{Anchor: day(tt.anchor)}
			if got := p.YearOf(day(tt.day)); got != tt.k {
				t.Errorf("YearOf(%s) = %d, want %d", tt.day, got, tt.k)
			}
			if got := p.NextRenewal(day(tt.day)); got != day(tt.renewal) {
				t.Errorf("NextRenewal(%s) = %s, want %s", tt.day, got, tt.renewal)
			}
		})
	}
}

// TestLIC4_YearsTileTheCalendar: for any anchor, every day belongs to
// exactly one year, years follow each other without gap or overlap and
// last 365 or 366 days.
func TestLIC4_YearsTileTheCalendar(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	base := day("1999-01-01")
	for i := 0; i < 300; i++ {
		p := Period{Anchor: base.AddDays(r.Intn(40 * 365))}
		if i%10 == 0 {
			p.Anchor = Date{2000 + 4*r.Intn(30), 2, 29}
		}
		for k := -1; k < 12; k++ {
			if n := p.DaysInYear(k); n != 365 && n != 366 {
				t.Fatalf("anchor %s: DaysInYear(%d) = %d", p.Anchor, k, n)
			}
			if p.YearEnd(k).AddDays(1) != p.YearStart(k+1) {
				t.Fatalf("anchor %s: year %d ends %s, year %d starts %s", p.Anchor, k, p.YearEnd(k), k+1, p.YearStart(k+1))
			}
		}
		for j := 0; j < 20; j++ {
			d := p.Anchor.AddDays(r.Intn(10*366) - 366)
			k := p.YearOf(d)
			if d.Before(p.YearStart(k)) || !d.Before(p.YearStart(k+1)) {
				t.Fatalf("anchor %s: YearOf(%s) = %d, which runs %s..%s", p.Anchor, d, k, p.YearStart(k), p.YearEnd(k))
			}
		}
	}
}
