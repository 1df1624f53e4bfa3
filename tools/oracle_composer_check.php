<?php
// Cross-check of tools/oracle_composer.py against composer/semver itself (Debian:
// `apt-get install php-cli php-composer-semver`). Input /tmp/xcheck_in.json:
// {"versions": [...], "pairs": [[lockfile version, event version], ...]}; prints the
// normalized forms and version_compare verdicts (null: a branch or unparsable version) as
// JSON, to be compared with the oracle's `normalize` and `cmp` on the same input.
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\VersionParser;
$in = json_decode(file_get_contents('/tmp/xcheck_in.json'), true);
$p = new VersionParser();
$norm = [];
foreach ($in['versions'] as $v) { try { $norm[$v] = $p->normalize($v); } catch (\Exception $e) { $norm[$v] = null; } }
$cmp = [];
foreach ($in['pairs'] as [$a, $b]) {
  $na = $norm[$a]; $nb = $norm[$b];
  if ($na === null || $nb === null || str_starts_with($na, 'dev-') || str_starts_with($nb, 'dev-')) { $c = null; }
  else { $c = version_compare($na, $nb); }
  $cmp[] = [$a, $b, $c];
}
echo json_encode(['norm' => $norm, 'cmp' => $cmp]);
