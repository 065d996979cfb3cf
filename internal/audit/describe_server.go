package audit

// describeServer describes the entries of ACS Pro servers (SPEC §8); ok is
// false for any other action.
func describeServer(e Entry, d map[string]any, p func(string, ...any) Description) (Description, bool) {
	switch e.Action {
	case ServerEnrollToken:
		return p(e.Action), true
	case ServerEnroll:
		out := p(e.Action)
		if v := str(d["version"]); v != "" {
			out.Lines = []Line{{Label: "audit.line.version", To: v}}
		}
		return out, true
	case ServerUpdate:
		out := p(e.Action)
		for _, k := range []string{"alert_offline", "alert_online"} {
			if on, ok := d[k].(bool); ok {
				v := Phrase{Key: "audit.value.off"}
				if on {
					v = Phrase{Key: "audit.value.on"}
				}
				out.Lines = append(out.Lines, Line{Label: "audit.line." + k, To: v})
			}
		}
		if r := str(d["recipients"]); r != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.recipients", To: r})
		} else if _, ok := d["recipients"]; ok {
			out.Lines = append(out.Lines, Line{Label: "audit.line.recipients", To: Phrase{Key: "audit.value.owners_admins"}})
		}
		return out, true
	case ServerUpgrade, ServerUpgradeCancel:
		out := p(e.Action, str(d["to"]))
		if from := str(d["from"]); from != "" {
			out.Lines = []Line{{Label: "audit.line.version", From: from, To: str(d["to"])}}
		}
		return out, true
	case ServerUpgradeResult:
		if str(d["state"]) == "succeeded" {
			out := p(e.Action+".succeeded", str(d["new_version"]))
			return out, true
		}
		out := p(e.Action+".failed", str(d["to"]))
		if r := str(d["reason"]); r != "" {
			out.Lines = []Line{{Label: "audit.line.server_words", To: r}}
		}
		if k := str(d["reason_key"]); k != "" { // the portal's reason (a server silent after it picked the upgrade up)
			out.Lines = []Line{{Label: "audit.line.reason", To: Phrase{Key: k, Args: []any{d["hours"]}}}}
		}
		if v := str(d["new_version"]); v != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.version", To: v})
		}
		return out, true
	}
	return Description{}, false
}
