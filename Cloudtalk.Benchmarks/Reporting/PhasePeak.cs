namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>A service's peak resident memory (VmHWM, bytes) as it stood at the end of a phase of the run.</summary>
public sealed record PhasePeak(string Phase, long Bytes);
