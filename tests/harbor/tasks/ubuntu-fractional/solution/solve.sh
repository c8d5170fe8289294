#!/bin/bash
cd /work
echo '17+25' | bc > sum.txt
echo '6*7' | bc > product.txt
echo '12*12' | bc > square.txt
echo 'sqrt(169)' | bc > root.txt
