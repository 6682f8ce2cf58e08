package api

import (
	"container/list"
	"sync"
)

// lru is a least-recently-used map of values under a byte budget, the one
// mechanism behind the tile cache and the response cache. Each entry's
// size is given by the caller and kept with it, so accounting never reads
// a value another goroutine may be filling in.
type lru[V comparable] struct {
	mu     sync.Mutex
	order  *list.List
	items  map[string]*list.Element
	bytes  int
	budget int
}

type lruEntry[V comparable] struct {
	key  string
	v    V
	size int
}

func newLRU[V comparable](budget int) *lru[V] {
	return &lru[V]{order: list.New(), items: map[string]*list.Element{}, budget: budget}
}

// get returns the value kept under key, marking it recently used.
func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[V]).v, true
	}
	var zero V
	return zero, false
}

// put keeps v under key as size bytes and returns what is kept: v, or the
// value a concurrent miss stored first.
func (c *lru[V]) put(key string, v V, size int) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		return e.Value.(*lruEntry[V]).v
	}
	c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, v: v, size: size})
	c.bytes += size
	c.evict()
	return v
}

// grow accounts n more bytes to v's entry (a gzip copy made later), if v
// is still the value kept under key.
func (c *lru[V]) grow(key string, v V, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok && e.Value.(*lruEntry[V]).v == v {
		e.Value.(*lruEntry[V]).size += n
		c.bytes += n
		c.evict()
	}
}

// evict drops the least recently used entries until the budget holds,
// always keeping the newest.
func (c *lru[V]) evict() {
	for c.bytes > c.budget && c.order.Len() > 1 {
		last := c.order.Back()
		old := last.Value.(*lruEntry[V])
		c.order.Remove(last)
		delete(c.items, old.key)
		c.bytes -= old.size
	}
}

// size is the bytes held and the number of entries (for tests and metrics).
func (c *lru[V]) size() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, c.order.Len()
}
