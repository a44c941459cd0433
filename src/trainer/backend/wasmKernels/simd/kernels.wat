;; SKD Lab's own SIMD128 kernels for the tf.js wasm backend. They run in the backend's own
;; memory (imported), on tensors it allocated, so nothing is copied in or out. Assembled by
;; scripts/build-simd-kernels.mjs into simdModule.ts; the loader and the kernels' contracts are in
;; simdKernels.ts. This file is the source: edit it, then run the script.
(module
  (import "env" "memory" (memory 1))

  ;; The filter gradient of a 2-D convolution (NHWC), as tiles of 4 filter rows x 8 output channels:
  ;;   out[r, c] += sum over b, y, x of xp[b, y*sh, x*sw, .] (at byte offset offs[r]) * dy[b, y, x, c]
  ;; xp: the input padded so that every tap is inside, [n, hp, wp, ci]; dy: [n, oh, ow, co];
  ;; offs: rowBlocks*4 byte offsets of the rows' taps (i, j, channel) from a window's first element;
  ;; out: [rowBlocks*4, colPairs*8], zeroed by the caller. Lanes past co read the next pixel's
  ;; values (the caller leaves 32 bytes of memory after dy) and land in columns it does not copy.
  ;; One output line at a time: every tile of the filter runs over the line's pixels with its sums
  ;; in registers, so the few input rows and the gradient line it reads stay in the L1 cache
  ;; across tiles (tile by tile over the whole gradient instead streamed it from L2 once per tile).
  (func (export "convFilterGrad")
    (param $xp i32) (param $dy i32) (param $out i32) (param $offs i32)
    (param $n i32) (param $hp i32) (param $wp i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $co i32) (param $sh i32) (param $sw i32)
    (param $rowBlocks i32) (param $colPairs i32)
    (local $rb i32) (local $cg i32) (local $b i32) (local $y i32) (local $x i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $px i32) (local $pd i32) (local $pxStep i32) (local $pdStep i32) (local $xRow i32)
    (local $line i32) (local $dyLine i32) (local $ob i32)
    (local $o i32) (local $outRow i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128) (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $pxStep (i32.mul (i32.mul (local.get $sw) (local.get $ci)) (i32.const 4)))
    (local.set $pdStep (i32.mul (local.get $co) (i32.const 4)))
    (local.set $xRow (i32.mul (i32.mul (local.get $wp) (local.get $ci)) (i32.const 4)))
    (local.set $outRow (i32.mul (local.get $colPairs) (i32.const 32)))
    (local.set $b (i32.const 0))
    (loop $batch
      (local.set $y (i32.const 0))
      (loop $lines
        ;; the line's first window in xp, and its gradient
        (local.set $line (i32.add (local.get $xp)
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (i32.mul (local.get $y) (local.get $sh))) (local.get $xRow))))
        (local.set $dyLine (i32.add (local.get $dy)
          (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $y)) (i32.mul (local.get $ow) (local.get $co))) (i32.const 4))))
        (local.set $rb (i32.const 0))
        (loop $rows
          (local.set $ob (i32.add (local.get $offs) (i32.mul (local.get $rb) (i32.const 16))))
          (local.set $o0 (i32.load (local.get $ob)))
          (local.set $o1 (i32.load offset=4 (local.get $ob)))
          (local.set $o2 (i32.load offset=8 (local.get $ob)))
          (local.set $o3 (i32.load offset=12 (local.get $ob)))
          (local.set $cg (i32.const 0))
          (loop $cols
            (local.set $o (i32.add (local.get $out)
              (i32.add (i32.mul (i32.mul (local.get $rb) (i32.const 4)) (local.get $outRow)) (i32.mul (local.get $cg) (i32.const 32)))))
            (local.set $a00 (v128.load (local.get $o)))
            (local.set $a01 (v128.load offset=16 (local.get $o)))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (local.set $a10 (v128.load (local.get $o)))
            (local.set $a11 (v128.load offset=16 (local.get $o)))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (local.set $a20 (v128.load (local.get $o)))
            (local.set $a21 (v128.load offset=16 (local.get $o)))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (local.set $a30 (v128.load (local.get $o)))
            (local.set $a31 (v128.load offset=16 (local.get $o)))
            (local.set $px (local.get $line))
            (local.set $pd (i32.add (local.get $dyLine) (i32.mul (local.get $cg) (i32.const 32))))
            (local.set $x (local.get $ow))
            (loop $pixels
              (local.set $d0 (v128.load (local.get $pd)))
              (local.set $d1 (v128.load offset=16 (local.get $pd)))
              (local.set $s (f32x4.splat (f32.load (i32.add (local.get $px) (local.get $o0)))))
              (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (f32x4.splat (f32.load (i32.add (local.get $px) (local.get $o1)))))
              (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (f32x4.splat (f32.load (i32.add (local.get $px) (local.get $o2)))))
              (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (f32x4.splat (f32.load (i32.add (local.get $px) (local.get $o3)))))
              (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $px (i32.add (local.get $px) (local.get $pxStep)))
              (local.set $pd (i32.add (local.get $pd) (local.get $pdStep)))
              (local.set $x (i32.sub (local.get $x) (i32.const 1)))
              (br_if $pixels (local.get $x)))
            (local.set $o (i32.add (local.get $out)
              (i32.add (i32.mul (i32.mul (local.get $rb) (i32.const 4)) (local.get $outRow)) (i32.mul (local.get $cg) (i32.const 32)))))
            (v128.store (local.get $o) (local.get $a00))
            (v128.store offset=16 (local.get $o) (local.get $a01))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (v128.store (local.get $o) (local.get $a10))
            (v128.store offset=16 (local.get $o) (local.get $a11))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (v128.store (local.get $o) (local.get $a20))
            (v128.store offset=16 (local.get $o) (local.get $a21))
            (local.set $o (i32.add (local.get $o) (local.get $outRow)))
            (v128.store (local.get $o) (local.get $a30))
            (v128.store offset=16 (local.get $o) (local.get $a31))
            (local.set $cg (i32.add (local.get $cg) (i32.const 1)))
            (br_if $cols (i32.lt_u (local.get $cg) (local.get $colPairs))))
          (local.set $rb (i32.add (local.get $rb) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $rb) (local.get $rowBlocks))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br_if $lines (i32.lt_u (local.get $y) (local.get $oh))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $batch (i32.lt_u (local.get $b) (local.get $n)))))

  ;; The gradient of a 2x2 max pool of stride 2 whose windows lie inside the input (NHWC, c >= 4):
  ;; each window's first maximum in scan order (rows, then columns) gets dy, the rest 0, as the
  ;; cpu backend does (NaN never wins, a window of NaN and -Infinity gets nothing). Windows do not
  ;; overlap, so every covered element is written once; the caller zeroes an odd last row or
  ;; column. Channels go 4 at a time; the last group starts at c - 4 and may overlap the one before
  ;; it, which writes the same values again.
  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32)
    (local $b i32) (local $y i32) (local $xo i32) (local $k i32) (local $groups i32)
    (local $t0 i32) (local $pd i32) (local $g i32) (local $cb i32) (local $xRow i32) (local $delta i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $best v128) (local $at v128) (local $gt v128) (local $grad v128) (local $zero v128)
    (local.set $cb (i32.mul (local.get $c) (i32.const 4)))
    (local.set $xRow (i32.mul (local.get $w) (local.get $cb)))
    (local.set $delta (i32.sub (local.get $dx) (local.get $x)))
    (local.set $groups (i32.div_u (i32.add (local.get $c) (i32.const 3)) (i32.const 4)))
    (local.set $zero (v128.const i64x2 0 0))
    (local.set $pd (local.get $dy))
    (local.set $b (i32.const 0))
    (loop $batch
      (local.set $y (i32.const 0))
      (loop $lines
        (local.set $xo (i32.const 0))
        (loop $windows
          (local.set $k (i32.const 0))
          (loop $channels
            ;; group k starts at channel min(4k, c - 4)
            (local.set $g (i32.mul (local.get $k) (i32.const 4)))
            (if (i32.gt_u (i32.add (local.get $g) (i32.const 4)) (local.get $c))
              (then (local.set $g (i32.sub (local.get $c) (i32.const 4)))))
            (local.set $t0 (i32.add (local.get $x)
              (i32.add
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.mul (local.get $y) (i32.const 2))) (local.get $xRow))
                         (i32.mul (i32.mul (local.get $xo) (i32.const 2)) (local.get $cb)))
                (i32.mul (local.get $g) (i32.const 4)))))
            (local.set $v0 (v128.load (local.get $t0)))
            (local.set $v1 (v128.load (i32.add (local.get $t0) (local.get $cb))))
            (local.set $v2 (v128.load (i32.add (local.get $t0) (local.get $xRow))))
            (local.set $v3 (v128.load (i32.add (i32.add (local.get $t0) (local.get $xRow)) (local.get $cb))))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $at (i32x4.splat (i32.const -1)))
            (local.set $gt (f32x4.gt (local.get $v0) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v0) (local.get $best) (local.get $gt)))
            (local.set $at (v128.bitselect (i32x4.splat (i32.const 0)) (local.get $at) (local.get $gt)))
            (local.set $gt (f32x4.gt (local.get $v1) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $gt)))
            (local.set $at (v128.bitselect (i32x4.splat (i32.const 1)) (local.get $at) (local.get $gt)))
            (local.set $gt (f32x4.gt (local.get $v2) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $gt)))
            (local.set $at (v128.bitselect (i32x4.splat (i32.const 2)) (local.get $at) (local.get $gt)))
            (local.set $gt (f32x4.gt (local.get $v3) (local.get $best)))
            (local.set $at (v128.bitselect (i32x4.splat (i32.const 3)) (local.get $at) (local.get $gt)))
            (local.set $grad (v128.load (i32.add (local.get $pd) (i32.mul (local.get $g) (i32.const 4)))))
            (local.set $t0 (i32.add (local.get $t0) (local.get $delta)))
            (v128.store (local.get $t0)
              (v128.bitselect (local.get $grad) (local.get $zero) (i32x4.eq (local.get $at) (i32x4.splat (i32.const 0)))))
            (v128.store (i32.add (local.get $t0) (local.get $cb))
              (v128.bitselect (local.get $grad) (local.get $zero) (i32x4.eq (local.get $at) (i32x4.splat (i32.const 1)))))
            (v128.store (i32.add (local.get $t0) (local.get $xRow))
              (v128.bitselect (local.get $grad) (local.get $zero) (i32x4.eq (local.get $at) (i32x4.splat (i32.const 2)))))
            (v128.store (i32.add (i32.add (local.get $t0) (local.get $xRow)) (local.get $cb))
              (v128.bitselect (local.get $grad) (local.get $zero) (i32x4.eq (local.get $at) (i32x4.splat (i32.const 3)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $channels (i32.lt_u (local.get $k) (local.get $groups))))
          (local.set $pd (i32.add (local.get $pd) (local.get $cb)))
          (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
          (br_if $windows (i32.lt_u (local.get $xo) (local.get $ow))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br_if $lines (i32.lt_u (local.get $y) (local.get $oh))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $batch (i32.lt_u (local.get $b) (local.get $n)))))

  ;; Batch norm over the last axis, flat: a tensor of C channels is `chunks` rows of `lanes`
  ;; floats (lanes = lcm(C, 4), so lane l is always channel l mod C); the caller folds the lanes
  ;; into channels and handles the last, partial row. Sums go to `lanes` floats in memory (in the
  ;; L1 cache), added to what is there. These four loops are every full-size pass of batch
  ;; norm's training step: statistics, normalisation, and the gradient.

  ;; acc[l] += sum over rows k of x[k, l]
  (func (export "laneSums") (param $x i32) (param $chunks i32) (param $lanes i32) (param $acc i32)
    (local $end i32) (local $a i32) (local $k i32)
    (local.set $end (i32.add (local.get $acc) (i32.mul (local.get $lanes) (i32.const 4))))
    (block $done
      (br_if $done (i32.eqz (local.get $chunks)))
      (local.set $k (local.get $chunks))
      (loop $rows
        (local.set $a (local.get $acc))
        (loop $vectors
          (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $x))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $a) (local.get $end))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $rows (local.get $k)))))

  ;; acc[l] += sum over rows k of (x[k, l] - center[l])^2
  (func (export "laneCenteredSquares") (param $x i32) (param $center i32) (param $chunks i32) (param $lanes i32) (param $acc i32)
    (local $end i32) (local $a i32) (local $c i32) (local $k i32) (local $d v128)
    (local.set $end (i32.add (local.get $acc) (i32.mul (local.get $lanes) (i32.const 4))))
    (block $done
      (br_if $done (i32.eqz (local.get $chunks)))
      (local.set $k (local.get $chunks))
      (loop $rows
        (local.set $a (local.get $acc))
        (local.set $c (local.get $center))
        (loop $vectors
          (local.set $d (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $c))))
          (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $a) (local.get $end))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $rows (local.get $k)))))

  ;; accDy[l] += sum of dy[k, l];  accDyXc[l] += sum of dy[k, l] * (x[k, l] - center[l])
  (func (export "laneGradientSums")
    (param $dy i32) (param $x i32) (param $center i32) (param $chunks i32) (param $lanes i32) (param $accDy i32) (param $accDyXc i32)
    (local $off i32) (local $bytes i32) (local $k i32) (local $g v128)
    (local.set $bytes (i32.mul (local.get $lanes) (i32.const 4)))
    (block $done
      (br_if $done (i32.eqz (local.get $chunks)))
      (local.set $k (local.get $chunks))
      (loop $rows
        (local.set $off (i32.const 0))
        (loop $vectors
          (local.set $g (v128.load (local.get $dy)))
          (v128.store (i32.add (local.get $accDy) (local.get $off))
            (f32x4.add (v128.load (i32.add (local.get $accDy) (local.get $off))) (local.get $g)))
          (v128.store (i32.add (local.get $accDyXc) (local.get $off))
            (f32x4.add (v128.load (i32.add (local.get $accDyXc) (local.get $off)))
              (f32x4.mul (local.get $g) (f32x4.sub (v128.load (local.get $x)) (v128.load (i32.add (local.get $center) (local.get $off)))))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $off) (local.get $bytes))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $rows (local.get $k)))))

  ;; out[k, l] = u[k, l] * a[l] + v[k, l] * b[l] + c[l]  (u = v = x, b = 0: the normalisation;
  ;; u = dy, v = x: the input gradient)
  (func (export "laneAffine2")
    (param $u i32) (param $v i32) (param $a i32) (param $b i32) (param $c i32) (param $out i32) (param $chunks i32) (param $lanes i32)
    (local $off i32) (local $bytes i32) (local $k i32)
    (local.set $bytes (i32.mul (local.get $lanes) (i32.const 4)))
    (block $done
      (br_if $done (i32.eqz (local.get $chunks)))
      (local.set $k (local.get $chunks))
      (loop $rows
        (local.set $off (i32.const 0))
        (loop $vectors
          (v128.store (local.get $out)
            (f32x4.add
              (f32x4.add
                (f32x4.mul (v128.load (local.get $u)) (v128.load (i32.add (local.get $a) (local.get $off))))
                (f32x4.mul (v128.load (local.get $v)) (v128.load (i32.add (local.get $b) (local.get $off)))))
              (v128.load (i32.add (local.get $c) (local.get $off)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (local.set $u (i32.add (local.get $u) (i32.const 16)))
          (local.set $v (i32.add (local.get $v) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $off) (local.get $bytes))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $rows (local.get $k)))))
)
