#!/usr/bin/env python3
"""Measures the figures of docs/PERFORMANCE.md and prints them as a Markdown table.

Usage: bench/run.py [--quick] [--only=GROUP,…]   (groups: start memory throughput jobs
submissions inbox auth passwords forms search assistant ocr archive payments)
Needs: a release build (the script runs `cargo build --release`), wrk (Debian package),
PostgreSQL at 127.0.0.1:5432 (override with RATHAUS_BENCH_PG, an admin URL).
Everything runs on this machine against 127.0.0.1 only, bounded in time.
"""
import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import struct
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
RATHAUS = os.path.join(TARGET, "release", "rathaus")
JOBS_BENCH = os.path.join(TARGET, "release", "jobs-throughput")
PASSWORD_BENCH = os.path.join(TARGET, "release", "password-cost")
OCR_BENCH = os.path.join(TARGET, "release", "ocr-pages")
FORM_BENCH = os.path.join(TARGET, "release", "form-step")
ARCHIVE_BENCH = os.path.join(TARGET, "release", "archive")
HTTP_LOAD = os.path.join(TARGET, "release", "http-load")
SUBMISSIONS_BENCH = os.path.join(TARGET, "release", "submissions")
INBOX_BENCH = os.path.join(TARGET, "release", "inbox")
PAYMENTS_BENCH = os.path.join(TARGET, "release", "payments")
PG_ADMIN = os.environ.get("RATHAUS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
QUICK = "--quick" in sys.argv
# `--only search,assistant`: just these groups (the demo's first start always runs).
ONLY = next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--only=")), None)
rows = []


def row(figure, target, measured, note=""):
    rows.append((figure, target, measured, note))
    print(f"  {figure}: {measured} {note}", file=sys.stderr)


def wait_ready(url, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "readyz", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.002)
    return False


def start_demo(data, port):
    proc = subprocess.Popen(
        [RATHAUS, "demo", "--listen", f"127.0.0.1:{port}", "--data", data],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cold_start(data):
    port = 18181
    url = f"http://127.0.0.1:{port}/"
    first = time.monotonic()
    proc = start_demo(data, port)
    assert wait_ready(url, 60), "demo did not start"
    seeding = time.monotonic() - first
    stop(proc)
    times = []
    for _ in range(5 if QUICK else 15):
        t0 = time.monotonic()
        proc = start_demo(data, port)
        assert wait_ready(url), "demo did not become ready"
        times.append(time.monotonic() - t0)
        stop(proc)
    row("`rathaus demo` first start (creates and seeds)", "—", f"{seeding * 1000:.0f} ms")
    row("`rathaus demo` cold start to ready, later starts", "< 1 s",
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms",
        f"({len(times)} starts, spawn until /readyz answers 200)")


def idle_memory(data):
    db = os.path.join(data, "serve.db")
    env = dict(os.environ, RATHAUS_DATABASE_URL=f"sqlite://{db}", RATHAUS_LISTEN="127.0.0.1:18182",
               RATHAUS_FALLBACK_TENANT="musterstadt", RATHAUS_DATA_DIR=data, RATHAUS_LOG_FORMAT="json")
    subprocess.run([RATHAUS, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([RATHAUS, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_ready("http://127.0.0.1:18182/")
    time.sleep(3)
    idle = rss_mb(proc.pid)
    subprocess.run(["wrk", "-t1", "-c8", "-d3s", "http://127.0.0.1:18182/healthz"],
                   stdout=subprocess.DEVNULL, check=True)
    time.sleep(2)
    after = rss_mb(proc.pid)
    stop(proc)
    row("Idle resident memory of `serve` (SQLite, worker on)", "< 40 MB",
        f"{idle:.1f} MB", f"(after 3 s idle; {after:.1f} MB idle again after a 3 s load burst)")


def run_wrk(url, headers=(), connections=8):
    """Requests per second and the p50 and p99 latencies in ms."""
    duration = "5s" if QUICK else "15s"
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}", "--latency", url]
    for h in headers:
        cmd[1:1] = ["-H", h]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        value, unit = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        value = float(value)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rps, percentile(50), percentile(99)


def wrk(url, label, target, headers=()):
    rps, _, p99_ms = run_wrk(url, headers)
    row(label, target, f"{rps:,.0f} req/s, p99 {p99_ms:.2f} ms", "(wrk -t2 -c8, keep-alive)")


def totp(secret_b32, at=None):
    """The code an authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s)."""
    key = base64.b32decode(secret_b32)
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 15
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def staff_login(port, email, password, secret):
    """Logs in through the forms (password, then TOTP); returns the session cookie."""
    def post(path, form, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("POST", path, urllib.parse.urlencode(form), headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 303, f"{path}: {response.status}"
        return response.getheader("Set-Cookie").split(";")[0]
    pending = post("/verwaltung/anmelden", {"email": email, "password": password, "weiter": "/verwaltung"})
    return post("/verwaltung/anmelden/code", {"code": totp(secret), "weiter": "/verwaltung"}, pending)


def auth_overhead(data):
    """p50 of a page behind a staff login (session lookup + policy) against a page of
    the same layout without one, one connection so that queueing does not blur it."""
    port = 18184
    url = f"http://127.0.0.1:{port}/"
    proc = start_demo(data, port)
    assert wait_ready(url)
    cookie = staff_login(port, "admin@musterstadt.example", "Demo-Admin-2026", "DEMOADMINMUSTERSTADTZWEIFAKTORAA")
    _, anonymous, _ = run_wrk(f"{url}verwaltung/anmelden", connections=1)
    rps, authed, _ = run_wrk(f"{url}verwaltung", headers=[f"Cookie: {cookie}"], connections=1)
    stop(proc)
    row("Authenticated page: added p50 for session + policy", "< 1 ms",
        f"{(authed - anonymous) * 1000:.0f} µs",
        f"(p50 /verwaltung with staff session {authed * 1000:.0f} µs vs. login page {anonymous * 1000:.0f} µs; wrk -c1; {rps:,.0f} req/s)")


def password_cost():
    out = subprocess.run([PASSWORD_BENCH, "5" if QUICK else "21"], capture_output=True, text=True, check=True).stdout
    params, ms = re.search(r"^rathaus\t(\S+)\t([\d.]+) ms", out, re.M).groups()
    per_second = re.search(r"^throughput\t.*\t([\d.]+) per second", out, re.M).group(1)
    row("One password verification (Argon2id)", "50–150 ms", f"median {ms} ms", f"({params}; `bench/src/password_cost.rs`)")
    row("Password logins, most at once", "limited accordingly", f"{per_second} per second",
        "(40 concurrent verifications on the blocking pool; memory-bandwidth bound; the login guard limits guessing further)")


def archive():
    out = subprocess.run([ARCHIVE_BENCH, "50" if QUICK else "500", "1000000"], capture_output=True, text=True, check=True).stdout
    first = re.search(r"^letters\tfirst letter.*\t(\d+) ms", out, re.M).group(1)
    letters, size = re.search(r"^letters\t\d+ one-page.*\t(\d+) per second \((\d+) KB", out, re.M).groups()
    ingest = re.search(r"^ingest\t.*\t(\d+) MB/s", out, re.M).group(1)
    tree = re.search(r"^evidence\tdaily tree.*\t(\d+) ms", out, re.M).group(1)
    check = re.search(r"^evidence\tchecking.*\t(\d+) µs", out, re.M).group(1)
    row("One-page PDF/A letters per core, after warm-up", "≥ 50 per second", f"{letters} per second",
        f"(each letter different, tagged PDF/A-3a + PDF/UA-1 with QR code, {size} KB; `bench/src/archive.rs`)")
    row("First letter (fonts and template loaded)", "record", f"{first} ms", "")
    row("Document ingest into the local blob store", "≥ 100 MB/s", f"{ingest} MB/s", "(256 documents of 1 MB, SHA-256 included)")
    row("Daily evidence tree over 1,000,000 documents", "< 2 s", f"{tree} ms", "(sort + root, SHA-256 of sorted pairs)")
    row("Checking one document's evidence record", "< 1 ms", f"{check} µs", "(hash of a 100 KB document, path of 21 hashes, Ed25519)")


def payments(data):
    # The demo pays with its sandbox payment service; the bench races completions on it.
    port = 18187
    proc = start_demo(data, port)
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/", 60), "demo did not start"
        n = "200" if QUICK else "1000"
        db = f"sqlite://{os.path.join(data, 'rathaus.db')}"
        out = subprocess.run([PAYMENTS_BENCH, f"http://127.0.0.1:{port}", db, n],
                             capture_output=True, text=True, check=True).stdout
    finally:
        stop(proc)
    took, paid, open_, dup = re.search(
        r"completions \d+ in (\d+) ms: paid (\d+), still open (\d+), duplicates (\d+)", out).groups()
    rate = re.search(r"status checks \d+ in \d+ ms: (\d+) per second", out).group(1)
    row(f"{n} payment completions at once, return and notification racing", "exactly all paid, 0 duplicates, 0 lost",
        f"{paid} paid, {dup} duplicates, {open_} lost, in {took} ms",
        "(each completed twice in parallel against the demo's sandbox, SQLite; `bench/src/payments.rs`)")
    row("Payment status checks against the sandbox", "≥ 1,000 per second", f"{rate} per second",
        "(32 at a time, each an HTTP question to the sandbox and a conditional update)")


def form_step():
    out = subprocess.run([FORM_BENCH, "200" if QUICK else "5000"], capture_output=True, text=True, check=True).stdout
    all_ms = re.search(r"built-in definitions: median ([\d.]+) ms", out).group(1)
    row("Loading and checking all built-in form definitions (at start)", "< 200 ms", f"median {all_ms} ms",
        "(15 assistants; `bench/src/form_step.rs`)")
    load_ms = re.search(r"load \(100 fields[^:]*: median ([\d.]+) ms", out).group(1)
    p99 = re.search(r"p99 ([\d.]+) ms", out).group(1)
    row("Loading and checking a 100-field form definition", "all demo forms < 200 ms", f"median {load_ms} ms",
        "(10 steps, 171 rules; `bench/src/form_step.rs`)")
    row("Form step: read + rules + checks (without rendering)", "p99 < 5 ms with rendering", f"p99 {p99} ms",
        "(one step of the 100-field form, all fields answered, some wrongly)")


def demo_db(data):
    return {**os.environ, "RATHAUS_DATABASE_URL": f"sqlite://{os.path.join(data, 'rathaus.db')}"}


SEARCHES = ["Parkausweis", "Umzug", "Hund anmelden", "Geburtsurkunde", "Bauantrag", "Gewerbe anmelden",
            "Führerschein", "Personalausweis", "Wohngeld", "Parkausweiss", "Sperrmüll", "Einbürgerung"]


def search_load(url, label, target):
    urls = [f"{url}suche?q={urllib.parse.quote(q)}" for q in SEARCHES]
    # The server reads the town's services into memory right after its start; the first
    # search waits for that if it is not done yet. Timed on its own.
    started = time.monotonic()
    urllib.request.urlopen(urls[0]).read()
    first_ms = (time.monotonic() - started) * 1000
    seconds = "5" if QUICK else "15"
    out = subprocess.run([HTTP_LOAD, "1000", seconds, *urls], capture_output=True, text=True, check=True).stdout
    p50, p99 = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", out).groups()
    failed = re.search(r"failed (\d+)", out).group(1)
    row(label, target, f"p99 {p99} ms (p50 {p50} ms)",
        f"(`http-load 1000 {seconds}`: open model, 1,000 searches/s over {len(SEARCHES)} queries incl. a typo; {failed} failed; load generator on the same 2 cores; "
        f"the first search after the start took {first_ms:.0f} ms)")


def catalog_search(data):
    port = 18185
    url = f"http://127.0.0.1:{port}/"
    proc = start_demo(data, port)
    assert wait_ready(url)
    search_load(url, "Catalog search, demo catalog (410 services)", "p99 < 10 ms at 1,000 req/s")
    stop(proc)
    # A state catalog: the demo's services fifty times over, each copy with its own key
    # and name, all offered by the demo town.
    export = subprocess.run([RATHAUS, "catalog", "export"], env=demo_db(data), capture_output=True,
                            text=True, check=True).stdout
    catalog = json.loads(export)
    services = []
    for n in range(50):
        for service in catalog["services"]:
            copy = dict(service)
            copy["key"] = f"{service['key']}-{n}" if n else service["key"]
            copy["name"] = f"{service['name']} ({n})" if n else service["name"]
            copy["leika"] = None
            services.append(copy)
    big = os.path.join(data, "state-catalog.json")
    with open(big, "w") as f:
        json.dump({"life_situations": catalog["life_situations"], "services": services}, f)
    started = time.monotonic()
    subprocess.run([RATHAUS, "catalog", "import", big, "--enable-for", "musterstadt"], env=demo_db(data),
                   capture_output=True, check=True)
    imported = time.monotonic() - started
    proc = start_demo(data, port)
    assert wait_ready(url)
    search_load(url, f"Catalog search, state catalog ({len(services):,} services)", "p99 < 30 ms at 1,000 req/s")
    row(f"Server memory with {len(services):,} services offered", "—", f"{rss_mb(proc.pid):.0f} MB RSS",
        "(after the search load; the town's services and search index are held in memory)")
    stop(proc)
    row(f"Importing a catalog file of {len(services):,} services", "—", f"{imported:.1f} s",
        "(`rathaus catalog import --enable-for`, SQLite)")


def form_render(data):
    """One step of the 100-field form over HTTP: shown, and sent with mistakes (checked,
    saved and shown again with the error summary)."""
    form_file = os.path.join(data, "gross.json")
    subprocess.run([FORM_BENCH, "1", "--write", form_file], capture_output=True, check=True)
    subprocess.run([RATHAUS, "forms", "install", form_file, "--tenant", "musterstadt", "--service", "bibliotheksausweis"],
                   env=demo_db(data), capture_output=True, check=True)
    port = 18186
    url = f"http://127.0.0.1:{port}/"
    proc = start_demo(data, port)
    assert wait_ready(url)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/antrag/bibliotheksausweis", headers={"Origin": url.rstrip("/")})
    started = conn.getresponse()
    started.read()
    cookie = started.getheader("Set-Cookie").split(";")[0]
    step = started.getheader("Location").replace("/schritt/s0", "/schritt/s5")
    _, shown_p50, shown_p99 = run_wrk(url.rstrip("/") + step, headers=[f"Cookie: {cookie}"], connections=1)
    row("Form step shown (100-field form, draft loaded, rendered)", "p99 < 5 ms",
        f"p99 {shown_p99:.2f} ms (p50 {shown_p50:.2f} ms)", "(wrk -c1, GET of step 6 of 10)")
    body = "f5_0=600&f5_1=ein+Text&f5_2=24.11.2030&f5_3=b&f5_4=DE89+3704+0044+0532+0130+01"
    script = os.path.join(data, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n'
                f'wrk.body = "{body}"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                f'wrk.headers["Origin"] = "{url.rstrip("/")}"\n'
                f'wrk.headers["Cookie"] = "{cookie}"\n')
    duration = "5s" if QUICK else "15s"
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{duration}", "--latency", "-s", script, url.rstrip("/") + step],
                         capture_output=True, text=True, check=True).stdout
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(p99[0]) / 1000 if p99[1] == "us" else float(p99[0])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    row("Form step sent (validate + rules + save draft + render with errors)", "p99 < 5 ms",
        f"p99 {p99_ms:.2f} ms", f"(wrk -c1 POST, 10 fields with one wrong date; {rps:,.0f} steps/s; SQLite write per step)")
    stop(proc)


def throughput(data):
    port = 18183
    url = f"http://127.0.0.1:{port}/"
    proc = start_demo(data, port)
    assert wait_ready(url)
    home = urllib.request.urlopen(url).read().decode()
    version = re.search(r"/static/([0-9a-f]+)/", home).group(1)
    wrk(url, "Home page (German, rendered per request)", "≥ 20,000 req/s, p99 < 5 ms")
    wrk(f"{url}static/{version}/rathaus.css", "Static asset `rathaus.css` (2 KB)", "≥ 20,000 req/s, p99 < 5 ms")
    wrk(f"{url}static/{version}/kern/kern.min.css", "Static asset `kern.min.css` gzip (≈ 50 KB on the wire)",
        "—", headers=["Accept-Encoding: gzip"])
    stop(proc)


@contextlib.contextmanager
def fresh_pg():
    """A new, empty PostgreSQL database for one bench, dropped afterwards; yields its URL."""
    db = f"rathaus_bench_{os.getpid()}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db}"], check=True)
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + db
    finally:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=True)


def jobs(data):
    n = "20000" if QUICK else "100000"
    out = subprocess.run([JOBS_BENCH, f"sqlite://{os.path.join(data, 'jobs.db')}", n, "2"],
                         capture_output=True, text=True, check=True).stdout.strip()
    rate = re.search(r"= (\d+) jobs/s", out).group(1)
    row("Job queue, SQLite: no-op jobs enqueue → claim → done", "≥ 5,000 jobs/s", f"{int(rate):,} jobs/s", f"({out.split(':')[0]})")
    with fresh_pg() as pg_url:
        out = subprocess.run([JOBS_BENCH, pg_url, n, "2"], capture_output=True, text=True, check=True).stdout.strip()
        rate = re.search(r"= (\d+) jobs/s", out).group(1)
        row("Job queue, PostgreSQL: no-op jobs enqueue → claim → done", "≥ 5,000 jobs/s", f"{int(rate):,} jobs/s", f"({out.split(':')[0]})")


def submissions(data):
    n = "500" if QUICK else "2000"
    for name, target, url in [
        ("SQLite", "≥ 500/s", f"sqlite://{os.path.join(data, 'submissions.db')}?mode=rwc"),
        ("PostgreSQL", "≥ 300/s", None),
    ]:
        def run(url):
            out = subprocess.run([SUBMISSIONS_BENCH, url, n, "8"], capture_output=True, text=True, check=True).stdout
            return json.loads(out.strip().splitlines()[-1])
        if url:
            got = run(url)
        else:
            with fresh_pg() as pg_url:
                got = run(pg_url)
        row(f"Submissions, {name}: 5 fields + 200 KB attachment, committed (8 at once)", target,
            f"{got['sent_per_s']:,}/s", f"(send p50 {got['send_p50_ms']} ms, p99 {got['send_p99_ms']} ms; "
            f"filling in with the upload {got['filled_in_per_s']:,}/s; {n} submissions)")


INBOX_FIGURES = [
    ("caseworker_new", "Inbox first page: caseworker, view \"neu\"", "p99 < 20 ms"),
    ("caseworker_all", "Inbox first page: caseworker, all of the department", "p99 < 20 ms"),
    ("caseworker_mine", "Inbox first page: caseworker, \"meine\"", "p99 < 20 ms"),
    ("caseworker_overdue", "Inbox first page: caseworker, overdue", "p99 < 20 ms"),
    ("mailroom_all", "Inbox first page: mailroom, all cases of the town", "p99 < 20 ms"),
    ("search_name_caseworker", "Search: caseworker, first and last name", "p99 < 100 ms"),
    ("search_reference_caseworker", "Search: caseworker, reference", "p99 < 100 ms"),
    ("search_name_mailroom", "Search: mailroom, last and first name, whole town", "p99 < 100 ms"),
    ("search_street_mailroom", "Search: mailroom, street and a digit (thousands found)", "record"),
]


def inbox(data):
    """The department inbox over a generated town (1,000,000 cases, 100 departments)."""
    n = "100000" if QUICK else "1000000"
    for name, url in [("SQLite", f"sqlite://{os.path.join(data, 'inbox.db')}?mode=rwc"), ("PostgreSQL", None)]:
        def run(url):
            out = subprocess.run([INBOX_BENCH, url, n, "100", "300"], capture_output=True, text=True, check=True).stdout
            return [json.loads(line) for line in out.strip().splitlines()]
        if url:
            lines = run(url)
        else:
            with fresh_pg() as pg_url:
                lines = run(pg_url)
        figures = {line["figure"]: line for line in lines if "figure" in line}
        made = next((line for line in lines if "generated" in line), None)
        if made:
            row(f"Inbox data generator, {name}", "record", f"{made['per_s']:,} cases/s",
                f"({made['generated']:,} cases with search text in {made['seconds']} s)")
        for key, label, target in INBOX_FIGURES:
            got = figures[key]
            row(f"{label}, {name}, {int(n):,} cases", target, f"p99 {got['p99_ms']} ms",
                f"(p50 {got['p50_ms']} ms; {got['mean_total']:,} found on average)")


def letter_pdf(lines):
    """A one-page A4 letter in Helvetica, as an office program writes it."""
    ops = ["BT /F1 12 Tf 72 770 Td 16 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def ocr(data):
    """Letters of about 20 lines, each with its own random reference."""
    import random
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    rng = random.Random(2026)
    letters = os.path.join(data, "letters")
    os.makedirs(letters, exist_ok=True)
    for _ in range(10 if QUICK else 40):
        reference = "MS-2026-" + "".join(rng.choice(alphabet) for _ in range(5))
        body = ["Erika Mustermann", "Heidestrasse 17", "42651 Musterstadt", "",
                "Stadt Musterstadt", "Strassenverkehr und Parken", "", f"Ihr Zeichen: {reference}", "",
                "Antrag auf einen Bewohnerparkausweis", "", "Sehr geehrte Damen und Herren,",
                "anbei sende ich Ihnen wie erbeten die Meldebescheinigung und eine Kopie",
                "des Fahrzeugscheins. Das Fahrzeug ist auf meinen Arbeitgeber zugelassen,",
                "die Bescheinigung ueber die private Nutzung liegt ebenfalls bei.", "",
                "Mit freundlichen Gruessen", "", "Erika Mustermann"]
        with open(os.path.join(letters, reference + ".pdf"), "wb") as f:
            f.write(letter_pdf(body))
    out = subprocess.run([OCR_BENCH, letters], capture_output=True, text=True, check=True).stdout.strip()
    one = re.search(r"(\d+) pages/min one at a time", out).group(1)
    two = re.search(r"(\d+) pages/min two at once", out).group(1)
    found = out.split("; ", 1)[1]
    row("OCR, one-page A4 letter at 300 dpi (pdftoppm + Tesseract deu)", "record",
        f"{one} pages/min one at a time, {two} pages/min two at once", f"({found})")


def main():
    if not shutil.which("wrk"):
        sys.exit("bench/run.py needs wrk: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "-p", "rathaus", "-p", "rathaus-bench"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as data:
        demo = os.path.join(data, "demo")
        # The demo is created by the first group; later groups use its database.
        groups = [
            ("start", lambda: cold_start(demo)),
            ("memory", lambda: idle_memory(data)),
            ("throughput", lambda: throughput(demo)),
            ("jobs", lambda: jobs(data)),
            ("submissions", lambda: submissions(data)),
            ("inbox", lambda: inbox(data)),
            ("auth", lambda: auth_overhead(demo)),
            ("passwords", password_cost),
            ("forms", form_step),
            ("search", lambda: catalog_search(demo)),
            ("assistant", lambda: form_render(demo)),
            ("ocr", lambda: ocr(data)),
            ("archive", archive),
            ("payments", lambda: payments(demo)),
        ]
        for name, run in groups:
            if name == "start" or not ONLY or name in ONLY:
                run()
    print("| figure | target | measured | how |")
    print("|---|---|---|---|")
    for figure, target, measured, note in rows:
        print(f"| {figure} | {target} | {measured} | {note} |")


if __name__ == "__main__":
    main()
