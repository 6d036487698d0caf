// Command floods writes log lines as fast as it can and binds no port.
package main

import (
	"fmt"
	"os"
)

func main() {
	for i := 0; ; i++ {
		fmt.Fprintf(os.Stdout, "line %d of a log that never ends\n", i)
	}
}
