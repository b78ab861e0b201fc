# SPDX-License-Identifier: GPL-2.0-or-later
"""A private Postfix and Dovecot on 127.0.0.1, for check_mailflow's tests.

MailServers(root) writes every configuration, certificate, spool and
mailbox below `root` (a temporary directory), starts Debian's Postfix
(`postfix -c DIR start-fg`) and Dovecot (`dovecot -F -c FILE`) in the
foreground as children of this process, and stop() ends both and every
process they started. Nothing listens beyond 127.0.0.1, and nothing is sent
beyond it: Postfix has no relay host, no DNS, and its default transport is
error(8), so only the two test domains are delivered.

Domains and mailboxes:
  MAIL_DOMAIN     delivered by virtual(8) into ROOT/mail/<user>/Maildir/,
                  which Dovecot serves over IMAP and POP3 (passwd-file)
  BLOCKED_DOMAIN  accepted, then held: its transport is in defer_transports,
                  so every mail stays in the queue ("delivery blocked")
                  until release_blocked(); then it goes to the same Maildir

Ports are picked by binding 127.0.0.1:0 and closing the socket just before
the daemons start; the daemons then bind them (a small race no other test
on the machine is likely to lose to, and reported clearly if it happens).
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
DOVECOT = "/usr/sbin/dovecot"
OPENSSL = "/usr/bin/openssl"

MAIL_DOMAIN = "automon.test"
BLOCKED_DOMAIN = "blocked.automon.test"
# The mailbox owner: the unprivileged "nobody", so the test creates no user.
MAIL_USER = "nobody"


class SetupError(Exception):
    """The test servers could not be set up (not a probe failure)."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, what, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SetupError(f"{what} does not listen on 127.0.0.1:{port} after {seconds} s")


def make_certificate(directory, name, common_name, days):
    """A self-signed certificate and key for `common_name`, valid `days`."""
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-keyout", key, "-out", cert, "-days", str(days),
         "-subj", f"/CN={common_name}",
         "-addext", f"subjectAltName=DNS:{common_name}"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class MailServers:
    def __init__(self, root, cert_days=365):
        self.root = root
        self.procs = []
        self.nobody = pwd.getpwnam(MAIL_USER)
        # Postfix and Dovecot run parts of themselves as other users, which
        # must reach the spool and the mailboxes below the temp directory.
        os.chmod(root, 0o755)
        self.smtp_port = free_port()
        self.smtps_port = free_port()
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        self.tls_name = "mail.automon.test"
        self.cert, self.key = make_certificate(root, "server", self.tls_name, cert_days)
        self.users = {}

    # --- mailboxes ---------------------------------------------------------

    def add_user(self, name, password):
        """A mailbox NAME@MAIL_DOMAIN with an IMAP/POP3 login."""
        self.users[name] = password

    def maildir(self, name):
        return os.path.join(self.root, "mail", name, "Maildir")

    def mailbox_files(self, name):
        found = []
        for sub in ("new", "cur"):
            path = os.path.join(self.maildir(name), sub)
            if os.path.isdir(path):
                found += [os.path.join(path, f) for f in sorted(os.listdir(path))]
        return found

    def wait_for_delivery(self, name, count=1, seconds=20.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.mailbox_files(name)) >= count:
                return
            time.sleep(0.05)
        raise SetupError(f"no mail delivered to {name} after {seconds} s; "
                         f"postfix log:\n{self.postfix_log()}")

    def release_blocked(self):
        """Lets the held mail of BLOCKED_DOMAIN through and flushes the queue."""
        conf = os.path.join(self.root, "postfix")
        for argv in ([POSTCONF, "-c", conf, "-e", "defer_transports ="],
                     [POSTFIX, "-c", conf, "reload"],
                     [POSTFIX, "-c", conf, "flush"]):
            subprocess.run(argv, check=True, capture_output=True)

    def postfix_log(self):
        try:
            with open(os.path.join(self.root, "postfix.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def deferred_count(self):
        deferred = os.path.join(self.root, "postfix-spool", "deferred")
        return sum(len(files) for _, _, files in os.walk(deferred))

    # --- daemons -----------------------------------------------------------

    def start(self):
        try:
            self._start_postfix()
            self._start_dovecot()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Ends every daemon started here; safe to call more than once."""
        # Postfix's master puts itself in a session of its own, so it is
        # reached through its pid file; it ends its children on SIGTERM.
        # Dovecot's master (our child, in its own process group) too.
        pids = [self._postfix_master_pid()]
        pids += [proc.pid for proc in self.procs if proc.poll() is None]
        for pid in pids:
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for pid in pids:
            while pid and os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                if any(proc.pid == pid and proc.poll() is not None for proc in self.procs):
                    break
                time.sleep(0.05)
        for pid in pids:
            if pid and os.path.exists(f"/proc/{pid}"):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left in the group
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        self.procs = []

    def _postfix_master_pid(self):
        try:
            with open(os.path.join(self.root, "postfix-spool", "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"master" not in f.read():
                    return None  # a stale file, the pid reused
        except OSError:
            return None
        return pid

    def _spawn(self, argv, log):
        out = open(os.path.join(self.root, log), "ab")
        # Own process group, so stop() reaches every descendant.
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append(proc)
        return proc

    def _start_postfix(self):
        conf = os.path.join(self.root, "postfix")
        spool = os.path.join(self.root, "postfix-spool")
        data = os.path.join(self.root, "postfix-data")
        mail = os.path.join(self.root, "mail")
        for d in (conf, spool, data, mail):
            os.makedirs(d, exist_ok=True)
        os.chown(mail, self.nobody.pw_uid, self.nobody.pw_gid)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(data, postfix_user.pw_uid, postfix_user.pw_gid)
        main_cf = f"""\
# Written by tests/mailflow: a private Postfix on loopback only.
compatibility_level = 3.6
queue_directory = {spool}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.{MAIL_DOMAIN}
mydomain = {MAIL_DOMAIN}
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
maillog_file = {self.root}/postfix.log
maillog_file_prefixes = {self.root}
# Never leave loopback: no relay host, no DNS, nothing but the test domains.
relayhost =
smtp_dns_support_level = disabled
default_transport = error:this test server delivers only to its own domains
relay_transport = error:this test server does not relay
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# NAME@{MAIL_DOMAIN} goes to ROOT/mail/NAME/Maildir/, owned by {MAIL_USER}.
virtual_mailbox_domains = {MAIL_DOMAIN}, {BLOCKED_DOMAIN}
virtual_mailbox_base = {mail}
virtual_mailbox_maps = texthash:{conf}/mailboxes
virtual_uid_maps = static:{self.nobody.pw_uid}
virtual_gid_maps = static:{self.nobody.pw_gid}
virtual_minimum_uid = 1
# Mail to the blocked domain is accepted and then held in the queue: its
# transport "held" (virtual(8) again) is deferred, as when the mailbox
# server is unreachable. release_blocked() lets it through.
transport_maps = texthash:{conf}/transport
defer_transports = held
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject
# Deliver at once, retry the blocked domain rarely.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 10s
# TLS: STARTTLS on the plain port, implicit TLS on the smtps port.
smtpd_tls_cert_file = {self.cert}
smtpd_tls_key_file = {self.key}
smtpd_tls_security_level = may
smtpd_banner = $myhostname ESMTP automon-test
"""
        with open(os.path.join(conf, "main.cf"), "w") as f:
            f.write(main_cf)
        with open(os.path.join(conf, "mailboxes"), "w") as f:
            for name in self.users:
                for domain in (MAIL_DOMAIN, BLOCKED_DOMAIN):
                    f.write(f"{name}@{domain} {name}/Maildir/\n")
        with open(os.path.join(conf, "transport"), "w") as f:
            f.write(f"{BLOCKED_DOMAIN} held:\n")
        master_cf = f"""\
127.0.0.1:{self.smtp_port} inet n - n - - smtpd
127.0.0.1:{self.smtps_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
held      unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write(master_cf)
        env = dict(os.environ, MAIL_CONFIG=conf)
        # Creates the queue directories with the right owners.
        check = subprocess.run([POSTFIX, "-c", conf, "check"], env=env,
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise SetupError(f"postfix check failed: {check.stdout}{check.stderr}")
        proc = self._spawn([POSTFIX, "-c", conf, "start-fg"], "postfix.out")
        wait_for_port(self.smtp_port, proc, "postfix")
        wait_for_port(self.smtps_port, proc, "postfix")

    def _start_dovecot(self):
        run = os.path.join(self.root, "dovecot-run")
        os.makedirs(run, exist_ok=True)
        passwd = os.path.join(self.root, "dovecot.passwd")
        with open(passwd, "w") as f:
            for name, password in self.users.items():
                home = os.path.join(self.root, "mail", name)
                f.write(f"{name}:{{PLAIN}}{password}:{self.nobody.pw_uid}:"
                        f"{self.nobody.pw_gid}::{home}\n")
        # Read by Dovecot's auth process, which runs as user dovecot.
        os.chown(passwd, 0, grp.getgrnam("dovecot").gr_gid)
        os.chmod(passwd, 0o640)
        conf = os.path.join(self.root, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(f"""\
# Written by tests/mailflow: a private Dovecot on loopback only.
base_dir = {run}
state_dir = {run}/state
log_path = {self.root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {passwd}
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
pop3_uidl_format = %08Xu%08Xv
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {self.pop3s_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
""")
        proc = self._spawn([DOVECOT, "-F", "-c", conf], "dovecot.out")
        for port in (self.imap_port, self.imaps_port, self.pop3_port, self.pop3s_port):
            wait_for_port(port, proc, "dovecot")


def have_servers():
    """None when the Debian packages are there, else what is missing."""
    for path, package in ((POSTFIX, "postfix"), (DOVECOT, "dovecot-core"),
                          ("/usr/lib/dovecot/imap", "dovecot-imapd"),
                          ("/usr/lib/dovecot/pop3", "dovecot-pop3d"),
                          (OPENSSL, "openssl")):
        if not os.path.exists(path):
            return f"{path} is missing (install {package})"
    if os.geteuid() != 0:
        return "the mail servers need root (postfix start, mailbox owner)"
    return None
