package zipkin

import (
	"strings"
	"time"

	"github.com/openzipkin/zipkin-go/model"
)

// LogRecord is one OpenTracing log record of a finished span, recovered
// from the Zipkin annotations the tracer wrote for it.
type LogRecord struct {
	Time   time.Time
	Fields map[string]string
}

// LogRecords turns a span's Zipkin annotations back into log records,
// for reporters that show logs (the stdout and ui backends). The tracer
// writes each field of a record as one annotation "key:value" stamped
// with the record's time, so consecutive annotations with equal times
// form one record, unless a key repeats, which starts the next record. An
// annotation without a colon (from a non-OpenTracing source) becomes the
// field event.
func LogRecords(annotations []model.Annotation) []LogRecord {
	var records []LogRecord
	for i, a := range annotations {
		key, value, ok := strings.Cut(a.Value, ":")
		if !ok {
			key, value = "event", a.Value
		}
		newRecord := i == 0 || !a.Timestamp.Equal(annotations[i-1].Timestamp)
		if !newRecord {
			_, newRecord = records[len(records)-1].Fields[key]
		}
		if newRecord {
			records = append(records, LogRecord{Time: a.Timestamp, Fields: map[string]string{}})
		}
		records[len(records)-1].Fields[key] = value
	}
	return records
}
