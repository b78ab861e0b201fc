// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/checkmk_sandbox.h"

namespace automon::backends {
namespace {

constexpr std::string_view kSource = R"PY(
import ast, sys

LISTS = ('all_hosts', 'custom_checks')
DICTS = ('host_tags', 'host_labels', 'ipaddresses', 'ipv6addresses')
OTHER = 'automon-sandbox-other-host'
# A disabled host's rulesets: Setup's dict-keyed form, rules prepended.
TABLES = ('extra_host_conf', 'extra_service_conf')
SWITCHES = ('active_checks_enabled', 'notifications_enabled')
LITERALS = (str, int, float, bool, type(None))


class Bad(Exception):
    pass


def site_variables():
    # What a site predefines, each already holding another host's entries.
    rule = {'id': 'x', 'value': {'service_description': 'x', 'command_line': 'x'},
            'condition': {'host_name': [OTHER]}}
    v = {'all_hosts': [OTHER], 'custom_checks': [rule],
         'explicit_host_conf': {'alias': {OTHER: OTHER}, 'parents': {OTHER: 'p'}}}
    for table in TABLES:
        v[table] = {'notifications_enabled': [{'id': 'y', 'value': '1',
                                               'condition': {'host_name': [OTHER]}}]}
    for name in DICTS:
        v[name] = {OTHER: {'k': 'v'} if name in ('host_tags', 'host_labels') else '192.0.2.1'}
    return v


def literal(node, what):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise Bad('line %d: %s is not a literal' % (node.lineno, what))


def switch(node):
    # TABLE['attribute'], TABLE one of TABLES and the attribute one of SWITCHES.
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id in TABLES and isinstance(node.slice, ast.Constant)
            and node.slice.value in SWITCHES):
        return (node.value.id, node.slice.value)
    return None


# What Checkmk's exec of the statement does to the site's variables: each
# kind automon writes, checked, with its literal's value. The file's code is
# never run; only these effects are applied, in order, to a copy of the
# site's variables.
def check_statement(s):
    if (isinstance(s, ast.Assign) and len(s.targets) == 1 and switch(s.targets[0])
            and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, ast.Add)
            and isinstance(s.value.left, ast.List)
            and switch(s.value.right) == switch(s.targets[0])):
        table, attribute = switch(s.targets[0])
        rules = literal(s.value.left, '%s[%r]' % (table, attribute))

        def prepend(ns):  # TABLE['attribute'] = [...] + TABLE['attribute']
            ns[table][attribute] = rules + ns[table][attribute]
        return prepend
    if (isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add)
            and isinstance(s.target, ast.Name) and s.target.id in LISTS
            and isinstance(s.value, ast.List)):
        name, items = s.target.id, literal(s.value, s.target.id)

        def extend(ns):  # NAME += [...]
            ns[name] += items
        return extend
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and not s.value.keywords:
        call, f = s.value, s.value.func
        if isinstance(f, ast.Attribute) and f.attr == 'update' and len(call.args) == 1 \
                and isinstance(call.args[0], ast.Dict):
            o = f.value
            if isinstance(o, ast.Name) and o.id in DICTS:
                name, entries = o.id, literal(call.args[0], o.id)
                return lambda ns: ns[name].update(entries)
            if (isinstance(o, ast.Subscript) and isinstance(o.value, ast.Name)
                    and o.value.id == 'explicit_host_conf'
                    and isinstance(o.slice, ast.Constant) and o.slice.value == 'alias'):
                entries = literal(call.args[0], 'the alias')
                return lambda ns: ns['explicit_host_conf']['alias'].update(entries)
        if (isinstance(f, ast.Attribute) and f.attr == 'setdefault'
                and isinstance(f.value, ast.Name) and f.value.id in TABLES
                and len(call.args) == 2 and isinstance(call.args[0], ast.Constant)
                and call.args[0].value in SWITCHES and isinstance(call.args[1], ast.List)
                and not call.args[1].elts):
            table, attribute = f.value.id, call.args[0].value
            return lambda ns: ns[table].setdefault(attribute, [])
        if (isinstance(f, ast.Attribute) and f.attr == 'setdefault'
                and isinstance(f.value, ast.Name) and f.value.id == 'explicit_host_conf'
                and len(call.args) == 2 and isinstance(call.args[0], ast.Constant)
                and call.args[0].value == 'alias' and isinstance(call.args[1], ast.Dict)
                and not call.args[1].keys):
            return lambda ns: ns['explicit_host_conf'].setdefault('alias', {})
    raise Bad('line %d: a statement of a kind automon never writes' % s.lineno)


def only_literals(value, where):
    if isinstance(value, LITERALS):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            only_literals(item, where)
        return
    if isinstance(value, dict):
        for k, item in value.items():
            only_literals(k, where)
            only_literals(item, where)
        return
    raise Bad('%s holds a %s, not a literal' % (where, type(value).__name__))


def added_keys(before, after, name):
    if type(after) is not dict:
        raise Bad('%s is no longer a dict' % name)
    for k, v in before.items():
        if k not in after or (after[k] != v and name != 'explicit_host_conf'):
            raise Bad('%s: the entry %r of another host was changed' % (name, k))
    return [k for k in after if k not in before]


def active(value):
    return set(value) == {'service_description', 'command_line'} and \
        type(value['command_line']) is str


def passive(value, disabled):
    # A rule without command_line is passive (issue #15); its freshness
    # says when the core calls it stale. A disabled host's has none.
    if disabled and set(value) == {'service_description'}:
        return True
    f = value.get('freshness')
    return (set(value) == {'service_description', 'freshness'} and type(f) is dict
            and set(f) == {'interval', 'state', 'output'} and type(f['interval']) is int
            and f['interval'] > 0 and f['state'] in (0, 1, 2, 3) and type(f['output']) is str)


def check_file(host, path):
    with open(path, 'rb') as f:
        data = f.read(4 * 1024 * 1024 + 1)
    if len(data) > 4 * 1024 * 1024:
        raise Bad('over 4 MiB')
    try:
        text = data.decode('ascii')
    except UnicodeDecodeError as e:
        raise Bad('byte %d is not ASCII' % e.start)
    try:
        tree = ast.parse(text, path)
    except SyntaxError as e:
        raise Bad('line %s: not Python: %s' % (e.lineno, e.msg))
    effects = [check_statement(s) for s in tree.body]
    before = site_variables()
    ns = site_variables()  # a fresh copy of the same values
    for effect in effects:
        effect(ns)  # each changes an existing variable only: no new names
    for name in LISTS:
        after = ns[name]
        if type(after) is not list or after[:len(before[name])] != before[name]:
            raise Bad('%s was not only extended' % name)
        only_literals(after, name)
    if ns['all_hosts'][len(before['all_hosts']):] != [host]:
        raise Bad('all_hosts gains %r, not [%r]' % (ns['all_hosts'][1:], host))
    disabled = False
    for table in TABLES:
        after = ns[table]
        if type(after) is not dict:
            raise Bad('%s is no longer a dict' % table)
        new = [k for k in after if k not in before[table]]
        if set(before[table]) - set(after) or set(new) - set(SWITCHES):
            raise Bad('%s gains or loses rulesets: %r' % (table, sorted(after)))
        for attribute, rules in after.items():
            old = before[table].get(attribute, [])
            if type(rules) is not list or len(rules) < len(old) or \
                    rules[len(rules) - len(old):] != old:
                raise Bad("%s[%r]: the site's rules were not kept after automon's"
                          % (table, attribute))
            only_literals(rules, table)
            ours = rules[:len(rules) - len(old)]
            expected = {'id': 'automon/%s/disabled/%s:%s' % (host, table, attribute),
                        'value': '0', 'condition': {'host_name': [host]}}
            for rule in ours:
                if (type(rule) is not dict or set(rule) != set(expected) | {'options'}
                        or any(rule[k] != v for k, v in expected.items())
                        or type(rule['options']) is not dict
                        or set(rule['options']) != {'description'}
                        or type(rule['options']['description']) is not str):
                    raise Bad('%s[%r] gains a rule that does not switch %r off alone: %r'
                              % (table, attribute, host, rule))
            if len(ours) > 1:
                raise Bad('%s[%r] gains %d rules' % (table, attribute, len(ours)))
            disabled = disabled or bool(ours)
    for rule in ns['custom_checks'][len(before['custom_checks']):]:
        if (type(rule) is not dict or rule.get('condition') != {'host_name': [host]}
                or type(rule.get('value')) is not dict
                or type(rule['value'].get('service_description')) is not str
                or not (active(rule['value']) or passive(rule['value'], disabled))):
            raise Bad('custom_checks gains a rule that is not for %r alone: %r' % (host, rule))
    ids = set()
    prefix = 'automon/' + host + '/'
    for rule in ns['custom_checks'][len(before['custom_checks']):]:
        rule_id = rule.get('id')
        if (type(rule_id) is not str or not rule_id.startswith(prefix)
                or not rule_id[len(prefix):] or '/' in rule_id[len(prefix):]):
            raise Bad('custom_checks gains a rule whose id %r is not %r followed by a service '
                      'name' % (rule_id, prefix))
        if rule_id in ids:
            raise Bad('custom_checks gains two rules with the id %r' % rule_id)
        ids.add(rule_id)
    for name in DICTS:
        new = added_keys(before[name], ns[name], name)
        if new not in ([], [host]):
            raise Bad('%s gains entries for %r' % (name, new))
        only_literals(ns[name], name)
    conf = ns['explicit_host_conf']
    new = added_keys(before['explicit_host_conf'], conf, 'explicit_host_conf')
    if new:
        raise Bad('explicit_host_conf gains %r' % new)
    for attribute, table in conf.items():
        if attribute != 'alias' and table != before['explicit_host_conf'][attribute]:
            raise Bad('explicit_host_conf[%r] was changed' % attribute)
    if added_keys(before['explicit_host_conf']['alias'], conf['alias'], 'alias') not in ([], [host]):
        raise Bad('the alias of another host was set')
    only_literals(conf, 'explicit_host_conf')


def main(args):
    for host, path in zip(args[0::2], args[1::2]):
        try:
            check_file(host, path)
            print('OK\t%s' % host)
        except Bad as e:
            print('FAIL\t%s\t%s' % (host, str(e).replace('\n', ' ').replace('\t', ' ')))
        except Exception as e:
            print('FAIL\t%s\t%s: %s' % (host, type(e).__name__,
                                        str(e).replace('\n', ' ').replace('\t', ' ')))
    sys.stdout.flush()


main(sys.argv[1:])
)PY";

}  // namespace

std::string_view CheckmkSandboxSource() { return kSource; }

}  // namespace automon::backends
