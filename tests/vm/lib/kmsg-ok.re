loading out-of-tree module taints kernel
module verification failed: signature and/or required key missing
kmemleak: Kernel memory leak detector initialized
