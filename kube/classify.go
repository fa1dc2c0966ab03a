package kube

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

// DefaultLogTail is the --tail given to logs when the proposal has none.
const DefaultLogTail = "200"

// classify decides the Risk of an argv (without "kubectl"). It never looks
// at anything but the words themselves.
func classify(args []string) Action {
	a := Action{Args: args}
	if len(args) == 0 {
		return a.refuse("empty command; propose one kubectl command such as get pods -n NAMESPACE")
	}
	if reason := pinnedFlag(args); reason != "" {
		return a.refuse(reason)
	}
	// Flags before the verb: only the namespace.
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		ns, n, ok := leadingNamespace(args[i:])
		if !ok {
			return a.refuse(fmt.Sprintf("flag %s before the verb is not supported; put flags after the verb, e.g. get pods -n shop", args[i]))
		}
		a.Namespace = ns
		i += n
	}
	if i >= len(args) {
		return a.refuse("no verb; supported read-only verbs: " + readVerbList)
	}
	if a.Namespace != "" {
		if err := checkNamespace(a.Namespace); err != nil {
			return a.refuse(err.Error())
		}
	}
	a.Verb = args[i]
	rest := args[i+1:]
	key := a.Verb
	switch a.Verb {
	case "rollout", "auth", "top", "certificate", "set", "create":
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			a.SubVerb = rest[0]
			key = a.Verb + " " + a.SubVerb
			if alias, ok := subAliases[key]; ok {
				key = alias
				a.SubVerb = alias[len(a.Verb)+1:]
			}
		}
	}
	switch {
	case mutatingVerbs[a.Verb] || mutatingVerbs[key]:
		return a.mutating(rest)
	case refusedVerbs[a.Verb] != "":
		return a.refuse(refusedVerbs[a.Verb])
	case a.Verb == "cluster-info" && contains(rest, "dump"):
		return a.refuse("cluster-info dump is refused: it copies every log and object; ask for the specific object, events or logs instead")
	}
	def := readVerbs[key]
	if def == nil {
		switch a.Verb {
		case "rollout":
			return a.refuse("rollout needs status or history (restart, undo, pause and resume change the cluster and are not executed)")
		case "auth":
			return a.refuse("auth supports can-i and whoami")
		case "top":
			return a.refuse("top supports pod and node, e.g. top pod -n shop")
		}
		return a.refuse(fmt.Sprintf("%q is not a supported verb; supported read-only verbs: %s", a.Verb, readVerbList))
	}
	if a.SubVerb != "" {
		rest = rest[1:]
	}
	if reason := a.readFlags(def, rest); reason != "" {
		return a.refuse(reason)
	}
	if len(a.Operands) == 0 {
		a.Operands = nil
	}
	if err := def.operands(&a); err != nil {
		return a.refuse(err.Error())
	}
	if a.Verb == "logs" && a.Flags["tail"] == "" {
		a.setFlag("tail", DefaultLogTail)
	}
	if def.secretTypes && secretLike(a.Resource) {
		a.Risk = Sensitive
		a.Reason = fmt.Sprintf("sensitive: %s reads Secret objects; it runs with every value redacted (names, types, keys and sizes only)", a.Verb)
		return a
	}
	a.Risk = ReadOnly
	a.Reason = def.reason
	return a
}

// readFlags parses the words after a read verb against its flag table.
// It returns a refusal reason, or "" when every word was understood.
func (a *Action) readFlags(def *verbDef, words []string) string {
	onlyOperands := false
	a.Operands = make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		if onlyOperands || !strings.HasPrefix(w, "-") || w == "-" {
			if len(w) > 1 && w[0] == '-' {
				return fmt.Sprintf("argument %q may not start with -", w)
			}
			a.Operands = append(a.Operands, w)
			continue
		}
		if w == "--" {
			onlyOperands = true
			continue
		}
		if strings.HasPrefix(w, "--") {
			name, val, hasVal := strings.Cut(w[2:], "=")
			f := def.lookup(name)
			if f == nil {
				return a.unknownFlag(def, "--"+name)
			}
			if !hasVal && !f.isBool {
				if i+1 >= len(words) {
					return fmt.Sprintf("flag --%s needs a value", name)
				}
				i++
				val = words[i]
			}
			if reason := a.setChecked(f, val, hasVal); reason != "" {
				return reason
			}
			continue
		}
		// One or more shorthand flags: -A, -oyaml, -o=yaml, -Ao wide.
		for j := 1; j < len(w); j++ {
			f := def.lookupShort(w[j])
			if f == nil {
				return a.unknownFlag(def, "-"+w[j:j+1])
			}
			if f.isBool {
				if j+1 < len(w) && w[j+1] == '=' {
					if reason := a.setChecked(f, w[j+2:], true); reason != "" {
						return reason
					}
					break
				}
				if reason := a.setChecked(f, "", false); reason != "" {
					return reason
				}
				continue
			}
			val := strings.TrimPrefix(w[j+1:], "=")
			if j+1 >= len(w) {
				if i+1 >= len(words) {
					return fmt.Sprintf("flag -%c needs a value", w[j])
				}
				i++
				val = words[i]
			}
			if reason := a.setChecked(f, val, true); reason != "" {
				return reason
			}
			break
		}
	}
	return ""
}

// setChecked validates one flag value and stores it.
func (a *Action) setChecked(f *flagDef, val string, explicit bool) string {
	if f.isBool {
		if !explicit {
			val = "true"
		}
		switch val {
		case "true", "false":
		default:
			return fmt.Sprintf("flag --%s takes true or false, got %q", f.name, val)
		}
	}
	switch {
	case f.name == "watch":
		if val != "false" {
			return errWatch
		}
	case f.values != nil:
		if !contains(f.values, val) {
			return fmt.Sprintf("--%s=%s is not supported for %s; use one of: %s", f.name, val, a.verbName(), strings.Join(f.values, ", "))
		}
	case !f.isBool && val == "":
		return fmt.Sprintf("flag --%s needs a non-empty value", f.name)
	case f.check != nil:
		if err := f.check(val); err != nil {
			return err.Error()
		}
	}
	switch f.name {
	case "namespace":
		a.Namespace = val
	case "all-namespaces":
		a.AllNamespaces = val == "true"
	default:
		a.setFlag(f.name, val)
	}
	return ""
}

func (a *Action) setFlag(name, val string) {
	if a.Flags == nil {
		a.Flags = make(map[string]string, 4)
	}
	a.Flags[name] = val
}

func (a *Action) unknownFlag(def *verbDef, flag string) string {
	switch {
	case flag == "-w" || flag == "--watch" || flag == "--watch-only":
		return errWatch
	case a.Verb == "logs" && (flag == "-f" || flag == "--follow"):
		return "following logs is not supported; use --tail=N or --since=5m and ask again later"
	case flag == "--raw":
		return "--raw is not supported; name the resource instead, e.g. get pods -o yaml"
	}
	return fmt.Sprintf("unknown flag %s for %s; supported: %s", flag, a.verbName(), def.supported())
}

// mutating records a write proposal: its namespace, resource and names as
// far as they can be told, and the policy answer.
func (a Action) mutating(rest []string) Action {
	words := rest
	if a.SubVerb != "" {
		words = rest[1:]
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			i = len(words)
		case w == "-n" || w == "--namespace":
			if i+1 < len(words) {
				i++
				a.Namespace = words[i]
			}
		case strings.HasPrefix(w, "--namespace="):
			a.Namespace = w[len("--namespace="):]
		case strings.HasPrefix(w, "-n") && !strings.HasPrefix(w, "--"):
			a.Namespace = strings.TrimPrefix(w[2:], "=")
		case strings.HasPrefix(w, "-"):
			if !strings.Contains(w, "=") && mutatingValueFlags[w] && i+1 < len(words) {
				i++
			}
		default:
			a.Operands = append(a.Operands, w)
		}
	}
	if len(a.Operands) > 0 {
		t, n, ok := strings.Cut(a.Operands[0], "/")
		a.Resource = t
		if ok {
			a.Names = []string{n}
		} else if len(a.Operands) > 1 {
			a.Names = a.Operands[1:2]
		}
	}
	a.Risk = Mutating
	a.Reason = fmt.Sprintf("not executed by policy: %s changes the cluster; if it is the right fix, the operator can apply it: %s", a.verbName(), a.String())
	return a
}

// mutatingValueFlags take a separate value word in common write commands.
var mutatingValueFlags = map[string]bool{
	"-f": true, "--filename": true, "-l": true, "--selector": true, "-o": true, "--output": true,
	"-c": true, "--container": true, "-p": true, "--patch": true, "--type": true, "--replicas": true,
	"--image": true, "--port": true, "--field-manager": true, "--grace-period": true, "--timeout": true,
	"--from-literal": true, "--from-file": true, "--to-revision": true, "--overwrite": false,
	"-k": true, "--kustomize": true, "--target": true, "--max": true, "--min": true, "--cpu-percent": true,
}

const errWatch = "watching is not supported: every command returns at once; run it again later to see changes"

func (a Action) refuse(reason string) Action {
	a.Risk = Refused
	a.Reason = reason
	return a
}

func (a *Action) verbName() string {
	if a.SubVerb != "" {
		return a.Verb + " " + a.SubVerb
	}
	return a.Verb
}

// pinnedFlag finds a flag that would select another cluster, context or
// identity and returns the refusal reason, or "".
func pinnedFlag(args []string) string {
	for _, w := range args {
		if len(w) < 2 || w[0] != '-' {
			continue
		}
		var name string
		if strings.HasPrefix(w, "--") {
			name, _, _ = strings.Cut(strings.TrimLeft(w, "-"), "=")
			if !pinnedFlags[name] {
				continue
			}
		} else if w[1] == 's' {
			name = "server (-s)"
		} else {
			continue
		}
		return fmt.Sprintf("--%s is refused: the cluster, context and user are pinned for this session; drop the flag", name)
	}
	return ""
}

// leadingNamespace reads -n NS, -nNS, -n=NS, --namespace NS or
// --namespace=NS at the start of words; it reports how many words it used.
func leadingNamespace(words []string) (string, int, bool) {
	w := words[0]
	switch {
	case w == "-n" || w == "--namespace":
		if len(words) < 2 {
			return "", 0, false
		}
		return words[1], 2, true
	case strings.HasPrefix(w, "--namespace="):
		return w[len("--namespace="):], 1, true
	case strings.HasPrefix(w, "-n") && !strings.HasPrefix(w, "--"):
		return strings.TrimPrefix(w[2:], "="), 1, true
	}
	return "", 0, false
}

// secretLike reports whether a comma-separated type list names a type that
// can hold secret values: Secrets and anything called like them.
func secretLike(types string) bool {
	return strings.Contains(strings.ToLower(types), "secret")
}

func checkSelector(s string) error {
	if _, err := labels.Parse(s); err != nil {
		return fmt.Errorf("-l %q is not a label selector: %v", s, err)
	}
	return nil
}

func checkFieldSelector(s string) error {
	if _, err := fields.ParseSelector(s); err != nil {
		return fmt.Errorf("--field-selector %q is not a field selector: %v", s, err)
	}
	return nil
}

func checkNamespace(s string) error {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) {
		return fmt.Errorf("%q is not a valid namespace name", s)
	}
	return nil
}

func checkName(s string) error {
	if s == "" || s == "." || s == ".." || len(s) > 253 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:@", r))
	}) {
		return fmt.Errorf("%q is not a valid object name", s)
	}
	return nil
}

func checkType(s string) error {
	if s == "" || s[0] == '.' || s[0] == '-' || len(s) > 253 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-')
	}) {
		return fmt.Errorf("%q is not a resource type; list types with api-resources", s)
	}
	return nil
}

func checkTypeName(s string) error {
	t, n, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Errorf("%q should be TYPE/NAME, e.g. pod/web-1", s)
	}
	if err := checkType(t); err != nil {
		return err
	}
	return checkName(n)
}

func checkGroup(s string) error {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '/')
	}) {
		return fmt.Errorf("%q is not an API group", s)
	}
	return nil
}

func checkWordList(s string) error {
	for _, w := range strings.Split(s, ",") {
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
		}) {
			return fmt.Errorf("%q is not a comma-separated list of words", s)
		}
	}
	return nil
}

func checkLabelKeys(s string) error {
	for _, w := range strings.Split(s, ",") {
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/", r))
		}) {
			return fmt.Errorf("%q is not a comma-separated list of label keys", s)
		}
	}
	return nil
}

func checkEventTypes(s string) error {
	for _, w := range strings.Split(s, ",") {
		if !strings.EqualFold(w, "Normal") && !strings.EqualFold(w, "Warning") {
			return fmt.Errorf("--types takes Normal, Warning or Normal,Warning, got %q", s)
		}
	}
	return nil
}

func checkInt(s string, min int64) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min {
		return fmt.Errorf("%q is not a whole number of at least %d", s, min)
	}
	return nil
}

func checkNonNegative(s string) error { return checkInt(s, 0) }
func checkPositive(s string) error    { return checkInt(s, 1) }
func checkTail(s string) error        { return checkInt(s, -1) }

func checkSince(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("--since takes a duration such as 5m or 1h, got %q", s)
	}
	return nil
}

func checkSinceTime(s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("--since-time takes an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", s)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
