package license

import (
	"slices"
	"strings"
	"unicode/utf8"

	"mysystems/internal/errs"
	"mysystems/internal/text"
)

// Limits of a product of the catalogue.
const (
	MaxProductID   = 40
	MaxProductName = 100
	MaxCovers      = 50
	MaxPattern     = 100
)

// CheckProduct validates a product the vendor adds to the catalogue and
// returns it tidied: spaces around the name and the patterns are dropped,
// the id is lower-cased. Each refusal is invalid on the field at fault:
//
//   - id: a slug, lower-case letters and digits in words joined by single
//     hyphens ("adm-extend"), at most MaxProductID characters;
//   - name: required, at most MaxProductName characters;
//   - licensing: subscription, hardware or both;
//   - covers: the device model patterns whose devices count in the
//     product's need, at least one for a subscription product; a pattern is
//     a model ("AXIS P3265-LVE") or a prefix followed by one * ("AXIS P*",
//     "*"), compared ignoring case, each once;
//   - gates: features of Features, each once, and only on a product with
//     subscriptions (a gated feature follows the product's subscription
//     status, LIC-14).
func CheckProduct(p Product) (Product, error) {
	p.ID = strings.ToLower(strings.TrimSpace(p.ID))
	if !isSlug(p.ID) {
		return p, errs.InvalidField("id", "err.license.product_id", MaxProductID)
	}
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.Name == "":
		return p, errs.InvalidField("name", "err.license.product_name_required")
	case !text.Valid(p.Name) || hasControl(p.Name) || utf8.RuneCountInString(p.Name) > MaxProductName:
		return p, errs.InvalidField("name", "err.license.product_name", MaxProductName)
	}
	switch p.Licensing {
	case Subscription, Hardware, Both:
	default:
		return p, errs.InvalidField("licensing", "err.license.licensing")
	}
	if len(p.Covers) > MaxCovers {
		return p, errs.InvalidField("covers", "err.license.covers_many", MaxCovers)
	}
	covers := make([]string, 0, len(p.Covers))
	for _, c := range p.Covers {
		c = strings.TrimSpace(c)
		if err := checkPattern(c); err != nil {
			return p, err
		}
		if slices.ContainsFunc(covers, func(d string) bool { return strings.EqualFold(c, d) }) {
			return p, errs.InvalidField("covers", "err.license.covers_twice", c)
		}
		covers = append(covers, c)
	}
	if len(covers) == 0 && p.Licensing != Hardware {
		return p, errs.InvalidField("covers", "err.license.covers_required")
	}
	p.Covers = covers
	gates := make([]Feature, 0, len(p.Gates))
	for _, g := range p.Gates {
		if !slices.Contains(Features, g) {
			return p, errs.InvalidField("gates", "err.license.gate_unknown", cutForMessage(string(g), 40), featureList())
		}
		if slices.Contains(gates, g) {
			return p, errs.InvalidField("gates", "err.license.gate_twice", string(g))
		}
		gates = append(gates, g)
	}
	if len(gates) > 0 && p.Licensing == Hardware {
		return p, errs.InvalidField("gates", "err.license.gates_hardware")
	}
	p.Gates = gates
	return p, nil
}

func isSlug(s string) bool {
	if s == "" || len(s) > MaxProductID || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// checkPattern validates one model pattern of covers.
func checkPattern(c string) error {
	switch {
	case c == "":
		return errs.InvalidField("covers", "err.license.pattern_empty")
	case !text.Valid(c) || hasControl(c) || utf8.RuneCountInString(c) > MaxPattern:
		return errs.InvalidField("covers", "err.license.pattern", cutForMessage(c, MaxPattern), MaxPattern)
	case strings.Contains(strings.TrimSuffix(c, "*"), "*"):
		return errs.InvalidField("covers", "err.license.pattern_star", c)
	}
	return nil
}

func featureList() string {
	out := make([]string, len(Features))
	for i, f := range Features {
		out[i] = string(f)
	}
	return strings.Join(out, ", ")
}

// CoversModel reports whether the product counts a device of model in its
// need (LIC-5; the field Covers holds the patterns): a pattern ending in * covers every model that starts with what
// precedes it ("*" covers every model), any other the model itself; case
// is ignored, and so are spaces around the model.
func (p Product) CoversModel(model string) bool {
	m := strings.ToLower(strings.TrimSpace(model))
	for _, c := range p.Covers {
		c = strings.ToLower(c)
		if prefix, ok := strings.CutSuffix(c, "*"); ok {
			if strings.HasPrefix(m, prefix) {
				return true
			}
		} else if m == c {
			return true
		}
	}
	return false
}
