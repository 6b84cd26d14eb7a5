"""Runs each calibration case on a server and prints its SLOWLOG duration
(the fastest of 7 runs: on a shared machine the fastest run is the one least slowed by other work), in microseconds. Usage: measure.py PORT"""
import socket, sys

def cmd(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port)); self.buf = b''
    def line(self):
        while b'\r\n' not in self.buf: self.buf += self.s.recv(1 << 20)
        l, self.buf = self.buf.split(b'\r\n', 1); return l
    def read(self):
        l = self.line(); t = l[:1]
        if t in b'+-:': return l[1:]
        if t == b'$':
            n = int(l[1:])
            if n < 0: return None
            while len(self.buf) < n + 2: self.buf += self.s.recv(1 << 20)
            v, self.buf = self.buf[:n], self.buf[n + 2:]; return v
        if t == b'*':
            n = int(l[1:]); return [self.read() for _ in range(max(n, 0))]
        raise ValueError(l)
    def call(self, *args):
        self.s.sendall(cmd(*args)); return self.read()

CASES = [
    ("empty loop, 1M iterations", [], ["EVAL", "for i = 1, 1000000 do end", "0"]),
    ("arithmetic loop, 1M iterations", [], ["EVAL", "local s = 0 for i = 1, 1000000 do s = s + i * 2 end return s", "0"]),
    ("2M loop, 100k tostring", [], ["EVAL", "local x for i = 1, 2000000 do if i % 20 == 0 then x = tostring(i) end end return x", "0"]),
    ("table of 100k tostring", [], ["EVAL", "local t = {} for i = 1, 100000 do t[i] = tostring(i) end return #t", "0"]),
    ("10k SET from a script", [], ["EVAL", "for i = 1, 10000 do redis.call('SET', 'k' .. i, i) end return 1", "0"]),
    ("10k INCR from a script", [], ["EVAL", "for i = 1, 10000 do redis.call('INCR', 'counter') end return 1", "0"]),
    ("10k GET from a script", [["SET", "k1", "v"]], ["EVAL", "for i = 1, 10000 do redis.call('GET', 'k1') end return 1", "0"]),
    ("LRANGE of 10k elements", [["EVAL", "for i = 1, 10000 do redis.call('RPUSH', 'list', i) end", "0"]], ["LRANGE", "list", "0", "-1"]),
    ("SET", [], ["SET", "a", "b"]),
]

def measure(port):
    c = Conn(port)
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
    out = []
    for name, setup, command in CASES:
        runs = []
        for _ in range(7):
            c.call("FLUSHALL")
            for s in setup: c.call(*s)
            c.call("SLOWLOG", "RESET")
            c.call(*command)
            entry = c.call("SLOWLOG", "GET", "1")[0]
            runs.append(int(entry[2]))
        out.append((name, min(runs)))
    return out

if __name__ == '__main__':
    for name, us in measure(int(sys.argv[1])):
        print(f"{us:>10.0f}  {name}")
