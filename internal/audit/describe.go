package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Ref names a thing an entry refers to: its actor, its target, or a folder
// in its details.
type Ref struct{ Type, ID string }

// Names are the current names of the refs that still exist.
type Names map[Ref]string

// Target types the product writes.
const (
	TargetOrg        = "org"
	TargetFolder     = "folder"
	TargetUser       = "user"
	TargetInvitation = "invitation"
	TargetDevice     = "device"
	TargetServer     = "server"  // an ACS Pro server (SPEC §8)
	TargetProduct    = "product" // a product of the license catalogue (SPEC §9)
	// FormerMember is the ref type under which Names holds the name of a
	// user who has left the organization: named, but no longer linked.
	FormerMember = "user.former"
)

// Refs lists, without repeats, what the entries refer to: the users who
// acted, the targets, and the folders their details name.
func Refs(es []Entry) []Ref {
	var out []Ref
	add := func(r Ref) {
		if r.ID != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, e := range es {
		if e.Actor.Kind == KindUser {
			add(Ref{TargetUser, e.Actor.ID})
		}
		add(Ref{e.TargetType, e.TargetID})
		for _, id := range strs(e.Details["folders"]) {
			add(Ref{TargetFolder, id})
		}
	}
	return out
}

// Translator gives the text of a catalogue key in the reader's language,
// formatted with args (with no args: the text as written, verbs and all).
type Translator func(key string, args ...any) string

// Phrase is a catalogue key with its arguments. An argument is a string
// (people's data, shown as is), a Phrase (translated in turn) or a Target.
type Phrase struct {
	Key  string
	Args []any
}

// Target is a thing a sentence names: by its current name if it still
// exists, else by a name its entry recorded, else by a neutral label.
type Target struct {
	Ref
	Name   string
	Exists bool // it exists now: a reader may follow a link to it
}

// Key is the catalogue key of the target's phrase ("the device %[1]s"),
// or of its neutral label when no name is known.
func (t Target) Key() string {
	typ := t.Type
	switch typ {
	case TargetOrg, TargetFolder, TargetUser, TargetInvitation, TargetDevice, TargetServer, TargetProduct:
	default:
		typ = "other"
	}
	if t.Name == "" {
		return "audit.target." + typ + ".unknown"
	}
	return "audit.target." + typ
}

// Line is one readable detail: "Label: From → To", or "Label: To".
type Line struct {
	Label    string // catalogue key
	From, To any    // string or Phrase; From nil for a plain value
}

// Description is an entry as a sentence and detail lines.
type Description struct {
	Sentence Phrase
	Lines    []Line
}

// Text renders the phrase in plain text.
func (p Phrase) Text(tr Translator) string {
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		switch a.(type) {
		case int, int64:
			args[i] = a // a count, which picks the plural form
		default:
			args[i] = ArgText(a, tr)
		}
	}
	return tr(p.Key, args...)
}

// ArgText renders one argument of a phrase in plain text.
func ArgText(a any, tr Translator) string {
	switch a := a.(type) {
	case Phrase:
		return a.Text(tr)
	case Target:
		if a.Name == "" {
			return tr(a.Key())
		}
		return tr(a.Key(), a.Name)
	case nil:
		return ""
	}
	return fmt.Sprint(a)
}

// Text is the sentence in plain text (the CSV's sentence column).
func (d Description) Text(tr Translator) string { return d.Sentence.Text(tr) }

// Describe turns an entry into a sentence in the reader's language: who did
// what to which target, with what changed as lines.
func Describe(e Entry, n Names) Description {
	who := actorArg(e.Actor, n)
	what := target(e, n)
	p := func(key string, args ...any) Description {
		return Description{Sentence: Phrase{Key: "audit.say." + key, Args: append([]any{who, what}, args...)}}
	}
	d := e.Details
	switch e.Action {
	case OrgCreate, OrgArchive, OrgRestore, FolderDelete, DeviceRemove, InvitationRevoke,
		DeviceReboot, DeviceIdentify:
		return p(e.Action)
	case OrgUpdate, FolderUpdate, DeviceUpdate:
		return changed(e.Action, d, p)
	case FolderCreate:
		out := p(e.Action)
		if path := str(d["path"]); path != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.path", To: path})
		}
		return out
	case MemberUpdate:
		role, folders := fromTo(d["role"]), d["folders"]
		switch {
		case role != nil && folders == nil:
			return p(e.Action+".role", rolePhrase(role[0]), rolePhrase(role[1]))
		case role == nil:
			return withFolders(p(e.Action+".folders"), d, n)
		}
		out := withFolders(p(e.Action), d, n)
		out.Lines = append([]Line{{Label: "audit.line.role", From: rolePhrase(role[0]), To: rolePhrase(role[1])}}, out.Lines...)
		return out
	case MemberRemove:
		out := p(e.Action)
		if r := str(d["role"]); r != "" {
			out.Lines = []Line{{Label: "audit.line.role", To: rolePhrase(r)}}
		}
		return out
	case InvitationCreate, InvitationAccept:
		return withFolders(p(e.Action, rolePhrase(str(d["role"]))), d, n)
	case DeviceClaim:
		out := p(e.Action, str(d["folder"]))
		for _, k := range []string{"serial", "model"} {
			if v := str(d[k]); v != "" {
				out.Lines = append(out.Lines, Line{Label: "audit.line." + k, To: v})
			}
		}
		return out
	case DeviceAccountCreate:
		return p(e.Action, str(d["username"]), Phrase{Key: "devaccounts.role." + str(d["role"])})
	case DeviceAccountPassword, DeviceAccountDelete:
		return p(e.Action, str(d["username"]))
	case UpgradeStart:
		if e.TargetType == TargetDevice {
			return p(e.Action+".device", str(d["version"]))
		}
		return p(e.Action, count(d["tasks"]))
	case UpgradeCancel, UpgradeRetry:
		return p(e.Action, str(d["version"]))
	case UpgradeSchedule:
		return p(e.Action, count(d["devices"]), Phrase{Key: "schedule.mode." + str(d["mode"])})
	case UpgradeLimits:
		return p(e.Action, num(d["max_concurrent"]), num(d["max_per_site"]))
	case RolloutPause, RolloutResume, RolloutAbort:
		return p(e.Action)
	case DeviceCommandResult:
		out := p(e.Action, Phrase{Key: "audit.command." + str(d["type"])}, Phrase{Key: "command.state." + str(d["state"])})
		if r := str(d["result"]); r != "" {
			out.Lines = []Line{{Label: "audit.line.result", To: r}}
		}
		return out
	case AccountTokenCreate, AccountTokenRevoke:
		return p(e.Action, str(d["name"]))
	case AccountMFAEnable:
		return p(e.Action, Phrase{Key: "audit.value.mfa." + str(d["method"])})
	case AccountMFADisable:
		out := p(e.Action)
		if m := str(d["method"]); m != "" {
			out.Lines = []Line{{Label: "audit.line.mfa_method", To: Phrase{Key: "audit.value.mfa." + m}}}
		}
		return out
	case AccountRecoveryCodes:
		return p(e.Action)
	case LicenseRedeem:
		out := p(e.Action, count(d["quantity"]))
		if k := str(d["key_end"]); k != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.key_end", To: k})
		}
		if x := str(d["expires_on"]); x != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.expires_on", To: x})
		}
		return out
	case LicenseStart:
		out := p(e.Action)
		if x := str(d["trial_ends"]); x != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.trial_ends", To: x})
		}
		return out
	case LicenseAllocate:
		out := p(e.Action, count(d["quantity"]))
		if x := str(d["year_starts"]); x != "" {
			out.Lines = append(out.Lines, Line{Label: "audit.line.year_starts", To: x})
		}
		if c := count(d["compensation"]); c > 0 {
			out.Lines = append(out.Lines, Line{Label: "audit.line.compensation", To: strconv.Itoa(c)})
		}
		if from, to := str(d["from"]), str(d["to"]); from != "" && to != "" && from != to {
			out.Lines = append(out.Lines, Line{Label: "audit.line.license_status",
				From: Phrase{Key: "license.status." + from}, To: Phrase{Key: "license.status." + to}})
		}
		return out
	}
	if out, ok := describeServer(e, d, p); ok {
		return out
	}
	return Description{Sentence: Phrase{Key: "audit.say.other", Args: []any{who, what, e.Action}}}
}

// changed describes an update of a name and/or a place: one change reads
// as a sentence of its own, several as "changed" with a line each.
func changed(action string, d map[string]any, p func(string, ...any) Description) Description {
	name := fromTo(d["name"])
	place := fromTo(d["folder"])
	if place == nil {
		place = fromTo(d["parent"])
	}
	notes, _ := d["notes"].(bool)
	mfa, hasMFA := d["require_mfa"].(bool)
	count := 0
	for _, ok := range []bool{name != nil, place != nil, notes, hasMFA} {
		if ok {
			count++
		}
	}
	if count == 1 {
		switch {
		case name != nil:
			return p(action+".name", name[0])
		case place != nil:
			return p(action+".move", place[0], place[1])
		case notes:
			return p(action + ".notes")
		case mfa:
			return p(action + ".mfa.on")
		default:
			return p(action + ".mfa.off")
		}
	}
	out := p(action)
	if name != nil {
		out.Lines = append(out.Lines, Line{Label: "audit.line.name", From: name[0], To: name[1]})
	}
	if place != nil {
		out.Lines = append(out.Lines, Line{Label: "audit.line.folder", From: place[0], To: place[1]})
	}
	if notes {
		out.Lines = append(out.Lines, Line{Label: "audit.line.notes", To: Phrase{Key: "audit.value.edited"}})
	}
	if hasMFA {
		from, to := Phrase{Key: "audit.value.off"}, Phrase{Key: "audit.value.on"}
		if !mfa {
			from, to = to, from
		}
		out.Lines = append(out.Lines, Line{Label: "audit.line.mfa", From: from, To: to})
	}
	return out
}

// withFolders adds the folders an entry grants, by name.
func withFolders(out Description, d map[string]any, n Names) Description {
	v, ok := d["folders"]
	if !ok {
		return out
	}
	var names []string
	for _, id := range strs(v) {
		if name, ok := n[Ref{TargetFolder, id}]; ok {
			names = append(names, name)
		} else {
			names = append(names, id)
		}
	}
	if len(names) == 0 {
		return out
	}
	out.Lines = append(out.Lines, Line{Label: "audit.line.folders", To: strings.Join(names, ", ")})
	return out
}

// actorArg names who acted: a member by name, else by the e-mail recorded;
// a vendor operator or the system by a label.
func actorArg(a Actor, n Names) any {
	switch a.Kind {
	case KindUser:
		if name := n[Ref{TargetUser, a.ID}]; name != "" {
			return name
		}
		if name := n[Ref{FormerMember, a.ID}]; name != "" {
			return name
		}
		if a.Email != "" {
			return a.Email
		}
		return Phrase{Key: "audit.actor.someone"}
	case KindVendor:
		name := strings.TrimPrefix(a.Email, "vendor:")
		if name == "" {
			name = a.ID // a platform token recorded without its name
		}
		return Phrase{Key: "audit.actor.vendor", Args: []any{name}}
	}
	if serial, ok := strings.CutPrefix(a.ID, "device:"); ok {
		return Phrase{Key: "audit.actor.device", Args: []any{serial}}
	}
	if _, ok := strings.CutPrefix(a.ID, "server:"); ok {
		return Phrase{Key: "audit.actor.server"}
	}
	return Phrase{Key: "audit.actor.system"}
}

// target names an entry's target: its current name, else one the entry
// recorded.
func target(e Entry, n Names) Target {
	t := Target{Ref: Ref{e.TargetType, e.TargetID}}
	if name, ok := n[t.Ref]; ok && name != "" {
		t.Name, t.Exists = name, true
		return t
	}
	if name := n[Ref{FormerMember, e.TargetID}]; name != "" && e.TargetType == TargetUser {
		t.Name = name
		return t
	}
	d := e.Details
	switch e.TargetType {
	case TargetDevice:
		name, serial := str(d["name"]), str(d["serial"])
		if ft := fromTo(d["name"]); ft != nil {
			name = ft[1]
		}
		switch {
		case name != "" && serial != "" && name != serial:
			t.Name = name + " (" + serial + ")"
		case name != "":
			t.Name = name
		default:
			t.Name = serial
		}
	case TargetFolder:
		t.Name = str(d["path"])
		if t.Name == "" {
			t.Name = str(d["name"])
		}
		if ft := fromTo(d["name"]); ft != nil && t.Name == "" {
			t.Name = ft[1]
		}
	case TargetOrg:
		t.Name = str(d["name"])
		if ft := fromTo(d["name"]); ft != nil {
			t.Name = ft[1]
		}
	case TargetInvitation, TargetUser:
		t.Name = str(d["email"])
	case TargetServer, TargetProduct:
		t.Name = str(d["name"])
	}
	return t
}

func rolePhrase(r string) any {
	if r == "" {
		return ""
	}
	return Phrase{Key: "role." + r}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs reads a list of strings from details (decoded JSON or as written).
func strs(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// fromTo reads a {"from": …, "to": …} change, nil if v is none.
func fromTo(v any) []string {
	switch v := v.(type) {
	case map[string]string:
		return []string{v["from"], v["to"]}
	case map[string]any:
		if _, ok := v["to"]; ok {
			return []string{str(v["from"]), str(v["to"])}
		}
	}
	return nil
}

// num renders a count stored in details (a number once read back as JSON).
func num(v any) string {
	switch n := v.(type) {
	case int:
		return fmt.Sprint(n)
	case int64:
		return fmt.Sprint(n)
	case float64:
		return fmt.Sprint(int64(n))
	}
	return str(v)
}

// count is a count stored in details as an int (it picks a sentence's
// plural form).
func count(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}
