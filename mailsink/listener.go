package mailsink

import (
	"net"
	"sync/atomic"
)

// countingListener counts accepted connections, so tests can check that a client
// reuses one connection.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}
