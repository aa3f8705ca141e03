#!/usr/bin/env bash
# Prints docs/cli.md: every subcommand's help as the binary gives it, so that the page cannot
# say what the binary does not. Regenerate after changing a help text:
#   bash scripts/cli-doc.sh .build/debug/aicoco > docs/cli.md
# The test suite (CLIDocTests) runs this with the binary it built and fails when the page differs.
set -euo pipefail
aicoco=${1:-aicoco}
export COLUMNS=100
subcommands=$("$aicoco" --help | awk '/^SUBCOMMANDS:/{on=1; next} on && /^  [a-z]/{print $1}')
echo "# The command line"
echo
echo "Generated from the binary's own help by \`scripts/cli-doc.sh\` (checked by the tests, so it"
echo "cannot go stale). \`aicoco help SUBCOMMAND\` prints the same."
echo
for name in $subcommands; do echo "- [\`aicoco $name\`](#aicoco-$name)"; done
echo
echo '```text'
"$aicoco" --help
echo '```'
for name in $subcommands; do
    echo
    echo "## aicoco $name"
    echo
    echo '```text'
    "$aicoco" help "$name"
    echo '```'
done
