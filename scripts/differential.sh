#!/bin/bash
# scripts/differential.sh BASE NEW [--quick]: runs both binaries over fixtures and generated inputs
# through stats --json (timing fields removed), validate (text/json/strict), records, convert
# (coco, nifti), filter, measure, records|assemble; compares stdout, stderr and exit codes.
# Prints DIFF lines; exit 1 if any. Extra: set DIFF_EXTRA="--threads 2" to add args to NEW only,
# on the subcommands that take --threads (stats, validate, records; the others would refuse it
# as a usage error). The generated inputs are 1 MB, under the 16 MB a file needs to be split
# among threads: DIFF_EXTRA="--threads 2 --split-bytes 64K" splits them (and the fixtures) too.
B=$(realpath "$1"); N=$(realpath "$2"); QUICK=$3   # absolute: runs go in other directories
ROOT=$(cd "$(dirname "$0")" && pwd)
REPO=${REPO:-$(dirname "$ROOT")}
W=$(mktemp -d /tmp/diffrun.XXXX); trap 'rm -rf $W' EXIT
cd $REPO
fail=0; count=0
norm() { sed -E 's/"elapsed_seconds":[0-9.e+-]+//g; s/"mb_per_second":[0-9.e+-]+//g; s/ in [0-9.]+ s//g; s/[0-9.]+ MB\/s//g; s/^elapsed: .*$/elapsed:/'; }
run() { # name cmd... (with BIN placeholder), input on stdin optional via STDIN var
  local name=$1; shift
  for which in B N; do
    local bin=${!which}; local extra=""
    local args=("${@/#BIN/$bin}")
    if [ $which = N ]; then case ${args[1]} in stats|validate|records) extra="$DIFF_EXTRA";; esac; fi
    if [ -n "$STDIN" ]; then
      (cd $W/cwd && "${args[@]}" $extra < "$STDIN" > $W/$which.out 2> $W/$which.err; echo $? > $W/$which.rc)
    else
      (cd $W/cwd && "${args[@]}" $extra > $W/$which.out 2> $W/$which.err; echo $? > $W/$which.rc)
    fi
    norm < $W/$which.out > $W/$which.outn; sed "s#$bin#BIN#g" $W/$which.err | norm > $W/$which.errn
  done
  count=$((count+1))
  if ! cmp -s $W/B.outn $W/N.outn || ! cmp -s $W/B.errn $W/N.errn || ! cmp -s $W/B.rc $W/N.rc; then
    echo "DIFF: $name: $*"; fail=1
    diff <(head -c 3000 $W/B.outn; echo; cat $W/B.errn; cat $W/B.rc) <(head -c 3000 $W/N.outn; echo; cat $W/N.errn; cat $W/N.rc) | head -8
  fi
}
mkdir -p $W/cwd $W/gen
cp -r $REPO/Fixtures $W/cwd/
F=$W/cwd/Fixtures
# generated inputs
G=$W/gen
for shape in noisy smooth detection long; do
  $B generate --bytes 1M --shape $shape > $G/$shape.json
  $B generate --bytes 1M --shape $shape --pretty > $G/$shape-pretty.json
  $B generate --bytes 1M --shape $shape --order meta,annotations,objects,categories,regressions,images > $G/$shape-rev.json
  $B generate --bytes 1M --shape $shape --order annotations,images,categories,objects,regressions,meta --pretty > $G/$shape-ann-first.json
done
(cd $G && $B generate --records 3000 --artifact records_gen.jsonl > tab.json && $B generate --records 2000 --task regression --artifact records_reg.jsonl > tabreg.json)
for cut in 1 100 4095 65536 300000 777777; do head -c $cut $G/noisy.json > $G/cut-$cut.json; done
head -c 500000 $G/smooth-pretty.json > $G/cut-pretty.json
gzip -kc $G/noisy.json > $G/noisy.json.gz
gzip -kc $G/noisy.json | head -c 100000 > $G/cutgz.json.gz
sed 's/"iscrowd":0/"iscrowd":2/' $G/detection.json > $G/bad-iscrowd.json
python3 - "$G" <<'PY'
import sys,re
g=sys.argv[1]
s=open(g+'/noisy.json','rb').read()
i=s.find(b'"image_id":"',len(s)//2)
open(g+'/bad-ref.json','wb').write(s[:i+12]+b'zz'+s[i+12:])
j=s.find(b',',len(s)//3)
open(g+'/bad-syntax.json','wb').write(s[:j]+b',,'+s[j+1:])
PY
files=()
if [ "$QUICK" = --quick ]; then
  files+=($(find $F -name '*.json' -not -path '*JSONTestSuite*' | sort))
else
  files+=($(find $F -name '*.json' -o -name '*.json.gz' | sort))
fi
files+=($(ls $G/*.json $G/*.json.gz | sort))
for f in "${files[@]}"; do
  rel=${f#$W/}
  run "stats $rel" BIN stats --json "$f"
  run "validate $rel" BIN validate "$f"
  run "validate-json $rel" BIN validate --format json "$f"
  run "validate-strict $rel" BIN validate --strict "$f"
  run "records $rel" BIN records "$f"
  case $f in *JSONTestSuite*) continue;; esac
  run "convert-coco $rel" BIN convert --to coco --image-size 512x512 "$f"
  run "filter $rel" BIN filter --index 0...40 "$f"
  run "measure $rel" BIN measure "$f"
done
for f in $G/noisy.json $G/smooth-rev.json $G/detection-pretty.json $G/long-ann-first.json $G/tab.json; do
  rel=${f#$W/}
  run "memlimit-validate $rel" BIN validate --memory-limit 64K "$f"
  run "memlimit-stats $rel" BIN stats --json --memory-limit 64K "$f"
  run "memlimit-coco $rel" BIN convert --to coco --image-size 512x512 --memory-limit 64K "$f"
  STDIN=$f run "stdin-validate $rel" BIN validate -
  STDIN=$f run "stdin-stats $rel" BIN stats --json -
  STDIN=$f run "stdin-records $rel" BIN records -
  run "filter-cat $rel" BIN filter --category Liver "$f"
  run "stats-sum $rel" BIN stats "$f"
  run "measure-json $rel" BIN measure --format json "$f"
done
for f in $G/noisy.json $G/tab.json $F/flavor/flavor-seg3d-noisy.json $F/flavor/generations/hybrid-2.2.1-classification.json; do
  $B records "$f" > $W/rec.jsonl 2>/dev/null
  STDIN=$W/rec.jsonl run "assemble ${f#$W/}" BIN assemble -
done
for f in $F/flavor/flavor-seg3d-noisy.json $F/flavor/generations/seg3d-background.json $G/noisy.json $G/smooth-rev.json; do
  run "nifti ${f#$W/}" sh -c 'rm -f n.nii; "$0" convert --to nifti -o n.nii "$1" && md5sum < n.nii' BIN "$f"
  run "nifti-gz ${f#$W/}" sh -c 'rm -f n.nii.gz; "$0" convert --to nifti -o n.nii.gz "$1" && gzip -dc n.nii.gz | md5sum' BIN "$f"
done
run "validate-many" BIN validate $F/flavor/*.json $G/noisy.json $G/bad-ref.json
run "stats-many" BIN stats --json $F/flavor/*.json $G/noisy.json
echo "differential: $count runs, $([ $fail = 0 ] && echo 'no difference' || echo 'DIFFERENCES FOUND')"
exit $fail
