package kube

import (
	"errors"
	"fmt"
	"strings"
)

// flagDef describes one flag a read verb accepts.
type flagDef struct {
	name   string
	short  byte
	isBool bool
	// values lists the accepted values; nil accepts any value check allows.
	values []string
	check  func(string) error
}

// verbDef describes a read verb: its flags and how its operands are checked.
type verbDef struct {
	flags []flagDef
	// operands says how the operands are checked and Resource and Names filled.
	operands operandRule
	// secretTypes makes a read of a secret-like type Sensitive.
	secretTypes bool
	// reason is the Reason of a read-only action of this verb, sensitive
	// the Reason of a read of secret-like types.
	reason, sensitive string
}

func (d *verbDef) lookup(name string) *flagDef {
	for i := range d.flags {
		if d.flags[i].name == name {
			return &d.flags[i]
		}
	}
	return nil
}

func (d *verbDef) lookupShort(c byte) *flagDef {
	for i := range d.flags {
		if d.flags[i].short == c {
			return &d.flags[i]
		}
	}
	return nil
}

// supported lists a verb's flags for a refusal message.
func (d *verbDef) supported() string {
	parts := make([]string, 0, len(d.flags))
	for _, f := range d.flags {
		s := "--" + f.name
		if f.short != 0 {
			s = "-" + string(f.short) + "/" + s
		}
		if f.values != nil {
			s += "=" + strings.Join(f.values, "|")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

var (
	fNamespace     = flagDef{name: "namespace", short: 'n', check: checkNamespace}
	fAllNamespaces = flagDef{name: "all-namespaces", short: 'A', isBool: true}
	fSelector      = flagDef{name: "selector", short: 'l', check: checkSelector}
	fFieldSelector = flagDef{name: "field-selector", check: checkFieldSelector}
	fNoHeaders     = flagDef{name: "no-headers", isBool: true}
	fSortBy        = flagDef{name: "sort-by", check: checkSortBy}
)

// readVerbs holds every verb (or "verb sub") that may run.
var readVerbs = map[string]*verbDef{
	"get": {
		flags: []flagDef{fNamespace, fAllNamespaces, fSelector, fFieldSelector, fNoHeaders, fSortBy,
			{name: "output", short: 'o', values: []string{"wide", "yaml", "json", "name"}},
			{name: "show-labels", isBool: true},
			{name: "label-columns", short: 'L', check: checkLabelKeys},
			{name: "show-kind", isBool: true},
			{name: "ignore-not-found", isBool: true},
			{name: "chunk-size", check: checkNonNegative},
		},
		operands:    typesAndNamesRule,
		secretTypes: true,
	},
	"describe": {
		flags: []flagDef{fNamespace, fAllNamespaces, fSelector,
			{name: "show-events", isBool: true},
			{name: "chunk-size", check: checkNonNegative},
		},
		operands:    typesAndNamesRule,
		secretTypes: true,
	},
	"logs": {
		flags: []flagDef{fNamespace, fSelector,
			{name: "container", short: 'c', check: checkName},
			{name: "previous", short: 'p', isBool: true},
			{name: "tail", check: checkTail},
			{name: "since", check: checkSince},
			{name: "since-time", check: checkSinceTime},
			{name: "timestamps", isBool: true},
			{name: "all-containers", isBool: true},
			{name: "prefix", isBool: true},
			{name: "limit-bytes", check: checkPositive},
			{name: "max-log-requests", check: checkPositive},
			{name: "ignore-errors", isBool: true},
		},
		operands: logRule,
	},
	"events": {
		flags: []flagDef{fNamespace, fAllNamespaces, fNoHeaders,
			{name: "for", check: checkTypeName},
			{name: "types", check: checkEventTypes},
			{name: "output", short: 'o', values: []string{"yaml", "json"}},
			{name: "chunk-size", check: checkNonNegative},
		},
		operands: noOperandsRule,
	},
	"top pod": {
		flags: []flagDef{fNamespace, fAllNamespaces, fSelector, fFieldSelector, fNoHeaders,
			{name: "sort-by", values: []string{"cpu", "memory"}},
			{name: "containers", isBool: true},
			{name: "sum", isBool: true},
		},
		operands: optionalNameRule,
	},
	"top node": {
		flags: []flagDef{fNamespace, fSelector, fNoHeaders,
			{name: "sort-by", values: []string{"cpu", "memory"}},
			{name: "show-capacity", isBool: true},
		},
		operands: optionalNameRule,
	},
	"rollout status": {
		flags: []flagDef{fNamespace, fSelector,
			{name: "revision", check: checkNonNegative},
			{name: "watch", short: 'w', isBool: true},
		},
		operands: typeAndNameRule,
	},
	"rollout history": {
		flags:    []flagDef{fNamespace, fSelector, {name: "revision", check: checkNonNegative}},
		operands: typeAndNameRule,
	},
	"api-resources": {
		flags: []flagDef{fNamespace, fNoHeaders,
			{name: "namespaced", isBool: true},
			{name: "api-group", check: checkGroup},
			{name: "verbs", check: checkWordList},
			{name: "categories", check: checkWordList},
			{name: "output", short: 'o', values: []string{"wide", "name"}},
			{name: "sort-by", values: []string{"name", "kind"}},
		},
		operands: noOperandsRule,
	},
	"api-versions": {flags: []flagDef{fNamespace}, operands: noOperandsRule},
	"version":      {flags: []flagDef{fNamespace}, operands: noOperandsRule},
	"cluster-info": {flags: []flagDef{fNamespace}, operands: noOperandsRule},
	"explain": {
		flags: []flagDef{fNamespace,
			{name: "recursive", short: 'R', isBool: true},
			{name: "api-version", check: checkGroup},
			{name: "output", short: 'o', values: []string{"plaintext"}},
		},
		operands: explainRule,
	},
	"auth can-i": {
		flags: []flagDef{fNamespace, fAllNamespaces, fNoHeaders,
			{name: "list", isBool: true},
			{name: "subresource", check: checkName},
			{name: "quiet", short: 'q', isBool: true},
		},
		operands: canIRule,
	},
	"auth whoami": {
		flags:    []flagDef{fNamespace, {name: "output", short: 'o', values: []string{"yaml", "json"}}},
		operands: noOperandsRule,
	},
}

func init() {
	for name, def := range readVerbs {
		def.reason = "read-only: " + name + " only reads from the cluster"
		def.sensitive = "sensitive: " + name + " reads Secret objects; it runs with every value redacted (names, types, keys and sizes only)"
	}
}

// Aliases kubectl accepts for sub-verbs.
var subAliases = map[string]string{
	"top pods": "top pod", "top po": "top pod",
	"top nodes": "top node", "top no": "top node",
}

// mutatingVerbs change cluster state (or would, through a container or the
// local machine); they are never executed.
var mutatingVerbs = map[string]bool{
	"apply": true, "create": true, "delete": true, "edit": true, "patch": true, "replace": true,
	"scale": true, "set": true, "label": true, "annotate": true, "taint": true, "cordon": true,
	"uncordon": true, "drain": true, "autoscale": true, "expose": true, "run": true, "cp": true,
	"certificate": true, "debug": true, "rolling-update": true, "stop": true, "run-container": true,
	"rollout restart": true, "rollout undo": true, "rollout pause": true, "rollout resume": true,
	"auth reconcile": true,
}

// refusedVerbs are never supported, with the reason sent back to the model.
var refusedVerbs = map[string]string{
	"exec":         "exec is refused: kuberesponder never opens a shell in a container; read logs --tail=N, describe pod or get -o yaml instead",
	"attach":       "attach is refused: kuberesponder never attaches to a container; read logs --tail=N instead",
	"port-forward": "port-forward is refused: kuberesponder opens no connections into the cluster",
	"proxy":        "proxy is refused: kuberesponder opens no proxy to the API server",
	"config":       "config is refused: the cluster, context and user are pinned for this session",
	"plugin":       "plugin is refused: only built-in read-only verbs run",
	"wait":         "wait is refused: commands run once and return; check again later with get or rollout status",
	"diff":         "diff is refused: it needs local files; propose the change as text instead",
	"kustomize":    "kustomize is refused: it reads local files",
	"alpha":        "alpha commands are refused",
	"completion":   "completion is refused: it is not a cluster command",
	"options":      "options is refused: it is not a cluster command",
	"help":         "help is refused: it is not a cluster command",
	"convert":      "convert is refused: it reads local files",
	"kuberc":       "kuberc is refused: it edits local configuration",
}

// pinnedFlagName reports whether a long flag name selects another cluster,
// context or identity; such flags are refused anywhere on the line.
func pinnedFlagName(name string) bool {
	switch name {
	case "kubeconfig", "context", "cluster", "user", "server",
		"token", "as", "as-group", "as-uid", "as-user-extra",
		"certificate-authority", "insecure-skip-tls-verify", "client-certificate",
		"client-key", "username", "password", "tls-server-name",
		"cache-dir", "kuberc":
		return true
	}
	return false
}

// operandRule names the check of a verb's operands. It is a value rather
// than a function so that the checks are direct calls and the action being
// classified stays on the stack.
type operandRule int

const (
	noOperandsRule operandRule = iota
	typesAndNamesRule
	typeAndNameRule
	logRule
	optionalNameRule
	explainRule
	canIRule
)

// check checks a's operands and fills its Resource and Names.
func (r operandRule) check(a *Action) error {
	switch r {
	case typesAndNamesRule:
		return typesAndNames(a)
	case typeAndNameRule:
		return typeAndName(a)
	case logRule:
		return logOperands(a)
	case optionalNameRule:
		return optionalName(a)
	case explainRule:
		return explainOperand(a)
	case canIRule:
		return canIOperands(a)
	}
	return noOperands(a)
}

const readVerbList = "get, describe, logs, events, top pod|node, rollout status|history, api-resources, api-versions, version, cluster-info, explain, auth can-i, auth whoami"

func noOperands(a *Action) error {
	if len(a.Operands) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", a.verbName(), a.Operands[0])
	}
	return nil
}

// typesAndNames accepts "TYPE[,TYPE...] [NAME...]" or "TYPE/NAME ...".
func typesAndNames(a *Action) error {
	if len(a.Operands) == 0 {
		return fmt.Errorf("%s needs a resource type, e.g. %s pods; list types with api-resources", a.Verb, a.Verb)
	}
	if strings.Contains(a.Operands[0], "/") {
		types := "" // comma-separated, each type once
		for _, op := range a.Operands {
			t, n, ok := strings.Cut(op, "/")
			if !ok {
				return fmt.Errorf("mixing TYPE/NAME and plain names is not supported: %q", op)
			}
			if err := checkType(t); err != nil {
				return err
			}
			if err := checkName(n); err != nil {
				return err
			}
			switch {
			case types == "":
				types = t
			case !inList(types, t):
				types += "," + t
			}
			a.Names = append(a.Names, n)
		}
		a.Resource = types
		return nil
	}
	for rest := a.Operands[0]; ; {
		t, more, ok := strings.Cut(rest, ",")
		if err := checkType(t); err != nil {
			return err
		}
		if !ok {
			break
		}
		rest = more
	}
	a.Resource = a.Operands[0]
	for _, n := range a.Operands[1:] {
		if err := checkName(n); err != nil {
			return err
		}
	}
	if len(a.Operands) > 1 {
		a.Names = a.Operands[1:len(a.Operands):len(a.Operands)]
	}
	return nil
}

// typeAndName accepts "TYPE NAME" or "TYPE/NAME", or a TYPE with -l.
func typeAndName(a *Action) error {
	switch len(a.Operands) {
	case 1:
		t, n, ok := strings.Cut(a.Operands[0], "/")
		if !ok {
			if a.Flags.Get("selector") == "" {
				return fmt.Errorf("%s needs TYPE NAME or TYPE/NAME, e.g. %s deployment/web", a.verbName(), a.verbName())
			}
			a.Resource = t
			return checkType(t)
		}
		a.Resource, a.Names = t, append(a.Names, n)
	case 2:
		a.Resource, a.Names = a.Operands[0], a.Operands[1:2:2]
	default:
		return fmt.Errorf("%s needs exactly one TYPE NAME or TYPE/NAME, e.g. %s deployment/web", a.verbName(), a.verbName())
	}
	if err := checkType(a.Resource); err != nil {
		return err
	}
	return checkName(a.Names[0])
}

// logOperands accepts "POD [CONTAINER]", "TYPE/NAME [CONTAINER]" or none with -l.
func logOperands(a *Action) error {
	switch {
	case len(a.Operands) == 0:
		if a.Flags.Get("selector") == "" {
			return errors.New("logs needs a pod, e.g. logs web-1 --tail=100, or -l app=web")
		}
		return nil
	case len(a.Operands) > 2 || a.Flags.Get("selector") != "":
		return errors.New("logs takes one pod (or TYPE/NAME) and optionally a container, or -l without a pod")
	}
	op := a.Operands[0]
	if t, n, ok := strings.Cut(op, "/"); ok {
		if err := checkType(t); err != nil {
			return err
		}
		a.Resource, op = t, n
	} else {
		a.Resource = "pod"
	}
	if err := checkName(op); err != nil {
		return err
	}
	a.Names = append(a.Names, op)
	if len(a.Operands) == 2 {
		if a.Flags.Get("container") != "" {
			return errors.New("give the container either as an argument or with -c, not both")
		}
		return checkName(a.Operands[1])
	}
	return nil
}

func optionalName(a *Action) error {
	if len(a.Operands) > 1 {
		return fmt.Errorf("%s takes at most one name", a.verbName())
	}
	if len(a.Operands) == 1 {
		if a.Flags.Get("selector") != "" {
			return fmt.Errorf("%s takes a name or -l, not both", a.verbName())
		}
		a.Names = a.Operands[0:1:1]
		return checkName(a.Operands[0])
	}
	return nil
}

func explainOperand(a *Action) error {
	if len(a.Operands) != 1 {
		return errors.New("explain needs one resource or field path, e.g. explain pod.spec.containers")
	}
	path := a.Operands[0]
	t, _, _ := strings.Cut(path, ".")
	a.Resource = t
	if path == "" || !onlyBytes(path, true, ".-_/") {
		return fmt.Errorf("explain needs a resource or field path such as pod.spec.containers, got %q", path)
	}
	return nil
}

func canIOperands(a *Action) error {
	if a.Flags.Get("list") == "true" {
		if len(a.Operands) > 0 {
			return errors.New("auth can-i --list takes no arguments")
		}
		return nil
	}
	if len(a.Operands) != 2 {
		return errors.New("auth can-i needs VERB TYPE, VERB TYPE/NAME or VERB /URL, e.g. auth can-i list pods, or --list")
	}
	for _, op := range a.Operands {
		if op == "" || !onlyBytes(op, true, "-._:/*") {
			return fmt.Errorf("auth can-i: %q is not a verb, resource or URL", op)
		}
	}
	t, n, ok := strings.Cut(a.Operands[1], "/")
	a.Resource = t
	if ok && t != "" {
		a.Names = append(a.Names, n)
	}
	return nil
}

// inList reports whether s is one of the words of a comma-separated list.
func inList(list, s string) bool {
	for w := range strings.SplitSeq(list, ",") {
		if w == s {
			return true
		}
	}
	return false
}
