"""Measures what each calibration case costs a real redis-server, in CPU time.

Usage: measure.py PORT [OUT.json]

For every case: run its setup, read the server's main-thread CPU time
(`used_cpu_user_main_thread + used_cpu_sys_main_thread` from INFO cpu, i.e.
getrusage(RUSAGE_THREAD), microsecond resolution), send the case's command
`reps` times in one pipeline, read the CPU time again. The same is done with
a single PING; the difference between the fastest of `TRIES` tries of each,
divided by `reps`, is what one command costs the server beyond one round
trip: for a script, its execution; for a plain command in a long pipeline,
its execution with its share of reading the request and writing the reply
(which is what keeps the server busy when many clients send it).

CPU time, not SLOWLOG's wall time: on a shared machine a command's wall time
includes the time the server was not scheduled, so it varies with the load;
the CPU time the server's main thread used does not. The SLOWLOG duration
(fastest run) is recorded next to it for comparison.

Commands may contain `{i}` (the repetition's number, from 0), so a pipeline
of ZADD can fill a fresh key each time. Prints a table and, with OUT, writes
the JSON the engine's calibration test reads.
"""
import json, platform, re, socket, sys, time

TRIES = 7


def encode(args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.buf = b''
        self.pos = 0

    def more(self):
        self.buf = self.buf[self.pos:] + self.s.recv(1 << 22)
        self.pos = 0

    def line(self):
        while True:
            end = self.buf.find(b'\r\n', self.pos)
            if end >= 0:
                l, self.pos = self.buf[self.pos:end], end + 2
                return l
            self.more()

    def read(self):
        l = self.line()
        t = l[:1]
        if t in b'+-:':
            return l[1:]
        if t == b'$':
            n = int(l[1:])
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self.more()
            v = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return v
        if t == b'*':
            n = int(l[1:])
            return [self.read() for _ in range(max(n, 0))]
        raise ValueError(l)

    def call(self, *args):
        self.s.sendall(encode(args))
        return self.read()

    def pipeline(self, commands):
        self.s.sendall(b''.join(encode(c) for c in commands))
        return [self.read() for _ in commands]

    def cpu_us(self):
        info = self.call('INFO', 'cpu').decode()
        fields = dict(l.split(':', 1) for l in info.split('\r\n') if ':' in l)
        return (float(fields['used_cpu_user_main_thread']) + float(fields['used_cpu_sys_main_thread'])) * 1e6


def fill(command, i):
    """The command of repetition `i`: `{i}` replaced by i, and a word
    `{each:PREFIX:FIRST:LAST}` replaced by PREFIX FIRST ... PREFIX LAST (so a
    command of thousands of keys stays one short line in the JSON)."""
    out = []
    for a in command:
        each = re.fullmatch(r'\{each:(.*):(\d+):(\d+)\}', a)
        if each:
            prefix, first, last = each.group(1), int(each.group(2)), int(each.group(3))
            out += ['%s%d' % (prefix, n) for n in range(first, last + 1)]
        else:
            out.append(a.replace('{i}', str(i)))
    return out


LOOP_2M = "local x for i = 1, 2000000 do if i % 20 == 0 then x = tostring(i) end end return x"
RPUSH_N = "for i = 1, tonumber(ARGV[1]) do redis.call('RPUSH', KEYS[1], i) end"
ZADD_N = "for i = 1, tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 'member' .. i) end"

IMPORT = """for i = 1, tonumber(ARGV[1]) do
  redis.call("SET", "item:" .. (i % 10), i)
end
return tonumber(ARGV[1])"""

# (name, setup commands, command, reps)
CASES = [
    # Lua alone
    ("empty loop, 1M iterations", [], ["EVAL", "for i = 1, 1000000 do end", "0"], 1),
    ("arithmetic loop, 1M iterations", [], ["EVAL", "local s = 0 for i = 1, 1000000 do s = s + i * 2 end return s", "0"], 1),
    ("2M loop, 100k tostring", [], ["EVAL", LOOP_2M, "0"], 1),
    ("table of 100k tostring", [], ["EVAL", "local t = {} for i = 1, 100000 do t[i] = tostring(i) end return #t", "0"], 1),
    ("100k table.insert", [], ["EVAL", "local t = {} for i = 1, 100000 do table.insert(t, i) end return #t", "0"], 1),
    ("100k string.format", [], ["EVAL", "local x for i = 1, 100000 do x = string.format('%d:%s', i, 'a') end return x", "0"], 1),
    ("string building, 100k pieces", [], ["EVAL", "local t = {} for i = 1, 100000 do table.insert(t, 'item') end return #table.concat(t, ',')", "0"], 1),
    ("100k function calls", [], ["EVAL", "local function f(a) return a + 1 end local s = 0 for i = 1, 100000 do s = f(s) end return s", "0"], 1),
    ("10k string.sub over a table", [], ["EVAL", "local t = {} for i = 1, 10000 do t[i] = string.sub('abcdefgh', 1 + i % 4, 6) end return #t", "0"], 1),
    # Commands from scripts
    ("10k SET of new keys from a script", [], ["EVAL", "for _, key in ipairs(KEYS) do redis.call('SET', key, 'v') end return 1", "10000", "{each:key:0:9999}"], 1),
    ("10k SET of one key from a script", [], ["EVAL", "for i = 1, 10000 do redis.call('SET', 'k', 'v') end return 1", "0"], 1),
    ("10k INCR from a script", [], ["EVAL", "for i = 1, 10000 do redis.call('INCR', 'counter') end return 1", "0"], 1),
    ("10k GET from a script", [["SET", "k1", "v"]], ["EVAL", "for i = 1, 10000 do redis.call('GET', 'k1') end return 1", "0"], 1),
    ("30k SET with numbers from a script (lesson lua/08's import)", [["SET", "config:feature", "on"]], ["EVAL", IMPORT, "0", "30000"], 1),
    ("100 LRANGE of 1k elements from a script", [["EVAL", RPUSH_N, "1", "list", "1000"]], ["EVAL", "for i = 1, 100 do redis.call('LRANGE', 'list', 0, -1) end return 1", "0"], 1),
    # Plain commands
    ("SET", [], ["SET", "a", "b"], 2000),
    ("SET of new keys", [], ["SET", "key:{i}", "value"], 2000),
    ("MSET of 1k new keys", [], ["MSET"] + [x for i in range(1, 1001) for x in ("key%d" % i, "value")], 1),
    ("GET", [["SET", "a", "b"]], ["GET", "a"], 2000),
    ("INCR", [], ["INCR", "counter"], 2000),
    ("LRANGE of 100 elements", [["EVAL", RPUSH_N, "1", "list", "100"]], ["LRANGE", "list", "0", "-1"], 500),
    ("LRANGE of 1k elements", [["EVAL", RPUSH_N, "1", "list", "1000"]], ["LRANGE", "list", "0", "-1"], 100),
    ("LRANGE of 10k elements", [["EVAL", RPUSH_N, "1", "list", "10000"]], ["LRANGE", "list", "0", "-1"], 20),
    ("ZADD of 1 member into 10k", [["EVAL", ZADD_N, "1", "z", "10000"]], ["ZADD", "z", "{i}", "new{i}"], 2000),
    ("ZADD of 100 new members", [], ["ZADD", "z{i}"] + [x for m in range(100) for x in (str(m), "member%d" % m)], 200),
    ("ZRANGE of 100 members", [["EVAL", ZADD_N, "1", "z", "100"]], ["ZRANGE", "z", "0", "-1"], 500),
    ("ZRANGE of 1k members", [["EVAL", ZADD_N, "1", "z", "1000"]], ["ZRANGE", "z", "0", "-1"], 100),
    ("ZRANGE of 10k members with scores", [["EVAL", ZADD_N, "1", "z", "10000"]], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], 20),
]


def batch_cpu(c, commands):
    before = c.cpu_us()
    c.pipeline(commands)
    return c.cpu_us() - before


def measure_case(c, setup, command, reps):
    spent, base, slow = [], [], []
    for _ in range(TRIES):
        c.call('FLUSHALL')
        for s in setup:
            c.call(*s)
        c.call('SLOWLOG', 'RESET')
        spent.append(batch_cpu(c, [fill(command, i) for i in range(reps)]))
        entries = c.call('SLOWLOG', 'GET', str(reps + 10))
        durations = [int(e[2]) for e in entries if e[3][0].upper() == command[0].encode()]
        base.append(batch_cpu(c, [['PING']]))
        if durations:
            slow.append(min(durations))
    return max(min(spent) - min(base), 0) / reps, min(slow) if slow else None


def main():
    port = int(sys.argv[1])
    c = Conn(port)
    c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0')
    c.call('CONFIG', 'SET', 'slowlog-max-len', '10000')
    version = c.call('INFO', 'server').decode().split('redis_version:')[1].split('\r\n')[0]
    results = []
    for name, setup, command, reps in CASES:
        cpu, slow = measure_case(c, setup, command, reps)
        print(f"{cpu:>12.2f} µs CPU  {slow if slow is not None else '-':>9} µs SLOWLOG  {name}", flush=True)
        results.append({"name": name, "setup": setup, "command": command, "reps": reps,
                        "redis_cpu_us": round(cpu, 3), "redis_slowlog_us": slow})
    if len(sys.argv) > 2:
        doc = {
            "about": "What each calibration case costs redis-server, measured by crates/engine/calibration/measure.py; "
                     "crates/engine/tests/calibration.rs checks the engine's simulated cost of each against redis_cpu_us.",
            "method": "main-thread CPU time (INFO cpu used_cpu_user_main_thread + used_cpu_sys_main_thread) around a "
                      "pipeline of `reps` commands, minus that around one PING, divided by reps; fastest of %d tries each. "
                      "redis_slowlog_us: the fastest SLOWLOG duration, for comparison." % TRIES,
            "redis_version": version,
            "machine": f"{platform.machine()}, {platform.system()} {platform.release()}, "
                       + open('/proc/cpuinfo').read().split('model name')[1].split('\n')[0].strip(' \t:'),
            "date": time.strftime('%Y-%m-%d', time.gmtime()),
            "cases": results,
        }
        # One line per case: some commands have thousands of arguments.
        head = ''.join(f' {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n'
                       for k, v in doc.items() if k != 'cases')
        cases = ',\n'.join('  ' + json.dumps(c, ensure_ascii=False) for c in doc['cases'])
        with open(sys.argv[2], 'w') as f:
            f.write('{\n' + head + ' "cases": [\n' + cases + '\n ]\n}\n')


if __name__ == '__main__':
    main()
