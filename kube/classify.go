package kube

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultLogTail is the --tail given to logs when the proposal has none.
const DefaultLogTail = "200"

// classify decides the Risk of an argv (without "kubectl"). It never looks
// at anything but the words themselves. Operands are a sub-slice of args
// when they stand together; a name cut from TYPE/NAME goes into spare, an
// empty slice with room for one. args itself is never written to.
func classify(a *Action, args, spare []string) {
	a.Args = args
	if len(args) == 0 {
		a.refuse("empty command; propose one kubectl command such as get pods -n NAMESPACE")
		return
	}
	if reason := pinnedFlag(args); reason != "" {
		a.refuse(reason)
		return
	}
	// Flags before the verb: only the namespace.
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		ns, n, ok := leadingNamespace(args[i:])
		if !ok {
			a.refuse(fmt.Sprintf("flag %s before the verb is not supported; put flags after the verb, e.g. get pods -n shop", args[i]))
			return
		}
		a.Namespace = ns
		i += n
	}
	if i >= len(args) {
		a.refuse("no verb; supported read-only verbs: " + readVerbList)
		return
	}
	if a.Namespace != "" {
		if err := checkNamespace(a.Namespace); err != nil {
			a.refuse(err.Error())
			return
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
	// No read verb is also a write or refused verb (TestVerbTablesDisjoint),
	// so a read verb is known at the first lookup.
	def := readVerbs[key]
	if def == nil {
		switch {
		case mutatingVerbs[a.Verb] || mutatingVerbs[key]:
			a.mutating(rest, spare)
			return
		case refusedVerbs[a.Verb] != "":
			a.refuse(refusedVerbs[a.Verb])
			return
		}
		switch a.Verb {
		case "rollout":
			a.refuse("rollout needs status or history (restart, undo, pause and resume change the cluster and are not executed)")
			return
		case "auth":
			a.refuse("auth supports can-i and whoami")
			return
		case "top":
			a.refuse("top supports pod and node, e.g. top pod -n shop")
			return
		}
		a.refuse(fmt.Sprintf("%q is not a supported verb; supported read-only verbs: %s", a.Verb, readVerbList))
		return
	}
	if a.Verb == "cluster-info" && slices.Contains(rest, "dump") {
		a.refuse("cluster-info dump is refused: it copies every log and object; ask for the specific object, events or logs instead")
		return
	}
	if a.SubVerb != "" {
		rest = rest[1:]
	}
	ops := operandList{words: rest}
	reason := a.readFlags(def, rest, &ops)
	a.Operands = ops.list()
	if reason != "" {
		a.refuse(reason)
		return
	}
	a.Names = spare
	if err := def.operands.check(a); err != nil {
		a.refuse(err.Error())
		return
	}
	if len(a.Names) == 0 {
		a.Names = nil
	}
	if a.Verb == "logs" && a.Flags.Get("tail") == "" {
		a.setFlag("tail", DefaultLogTail)
	}
	if def.secretTypes && secretLike(a.Resource) {
		a.Risk = Sensitive
		a.Reason = def.sensitive
		return
	}
	a.Risk = ReadOnly
	a.Reason = def.reason
}

// readFlags parses the words after a read verb against its flag table.
// It returns a refusal reason, or "" when every word was understood.
// Operands are added to ops.
func (a *Action) readFlags(def *verbDef, words []string, ops *operandList) string {
	onlyOperands := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if onlyOperands || !strings.HasPrefix(w, "-") || w == "-" {
			if len(w) > 1 && w[0] == '-' {
				return fmt.Sprintf("argument %q may not start with -", w)
			}
			ops.add(i)
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
		if !slices.Contains(f.values, val) {
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

// setFlag stores a flag; a later value of the same flag wins, as in kubectl.
func (a *Action) setFlag(name, val string) {
	if a.Flags == nil {
		// Room for every flag word of the line and the default --tail.
		n := 1
		for _, w := range a.Args {
			if len(w) > 1 && w[0] == '-' {
				n++
			}
		}
		a.Flags = make(Flags, 0, n)
	}
	for i := range a.Flags {
		if a.Flags[i].Name == name {
			a.Flags[i].Value = val
			return
		}
	}
	a.Flags = append(a.Flags, Flag{Name: name, Value: val})
}

// unknownFlag words the refusal of a flag the verb does not support.
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
// far as they can be told, and the policy answer. Operands and the name are
// appended to spare.
func (a *Action) mutating(rest, spare []string) {
	words := rest
	if a.SubVerb != "" {
		words = rest[1:]
	}
	ops := operandList{words: words}
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
			ops.add(i)
		}
	}
	a.Operands = ops.list()
	if len(a.Operands) > 0 {
		t, n, ok := strings.Cut(a.Operands[0], "/")
		a.Resource = t
		if ok {
			a.Names = append(spare, n)
		} else if len(a.Operands) > 1 {
			a.Names = a.Operands[1:2:2]
		}
	}
	a.Risk = Mutating
	var b strings.Builder
	b.Grow(len(policyPrefix) + len(policySuffix) + 2*len(a.verbName()) + 16 + 2*len(a.Input) + 2*len(a.Args))
	b.WriteString(policyPrefix)
	b.WriteString(a.Verb)
	if a.SubVerb != "" {
		b.WriteByte(' ')
		b.WriteString(a.SubVerb)
	}
	b.WriteString(policySuffix)
	a.writeTo(&b)
	a.Reason = b.String()
}

// operandList collects the operands among words: a sub-slice of words while
// they stand next to each other, as they usually do, and a slice of their
// own once they do not.
type operandList struct {
	words      []string
	start, end int      // words[start:end], while contiguous
	own        []string // non-nil once they are not
}

// add records words[i] as the next operand.
func (o *operandList) add(i int) {
	switch {
	case o.own != nil:
		o.own = append(o.own, o.words[i])
	case o.start == o.end:
		o.start, o.end = i, i+1
	case i == o.end:
		o.end++
	default:
		o.own = append(make([]string, 0, len(o.words)), o.words[o.start:o.end]...)
		o.own = append(o.own, o.words[i])
	}
}

// list returns the operands, nil when there are none.
func (o *operandList) list() []string {
	switch {
	case o.own != nil:
		return o.own
	case o.start == o.end:
		return nil
	}
	return o.words[o.start:o.end:o.end]
}

// mutatingValueFlags take a separate value word in common write commands.
var mutatingValueFlags = map[string]bool{
	"-f": true, "--filename": true, "-l": true, "--selector": true, "-o": true, "--output": true,
	"-c": true, "--container": true, "-p": true, "--patch": true, "--type": true, "--replicas": true,
	"--image": true, "--port": true, "--field-manager": true, "--grace-period": true, "--timeout": true,
	"--from-literal": true, "--from-file": true, "--to-revision": true, "--overwrite": false,
	"-k": true, "--kustomize": true, "--target": true, "--max": true, "--min": true, "--cpu-percent": true,
}

// policyPrefix and policySuffix frame the answer to a write proposal:
// policyPrefix, the verb, policySuffix, the command.
const (
	policyPrefix = "not executed by policy: "
	policySuffix = " changes the cluster; if it is the right fix, the operator can apply it: "
)

const errWatch = "watching is not supported: every command returns at once; run it again later to see changes"

// refuse marks the action Refused for reason.
func (a *Action) refuse(reason string) {
	a.Risk = Refused
	a.Reason = reason
}

// verbName is the verb and its sub-verb: "rollout status".
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
			if !pinnedFlagName(name) {
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
	const word = "secret"
	for i := 0; i+len(word) <= len(types); i++ {
		j := 0
		for j < len(word) && types[i+j]|0x20 == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}
