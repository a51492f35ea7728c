namespace Cloudtalk.Common.Caching;

/// <summary>
/// Remembers that Redis just failed, so that for a short while requests do not each wait out a timeout:
/// while open, every cache call is skipped and the caller answers from the database.
/// </summary>
internal sealed class RedisCircuit(TimeSpan breakDuration)
{
    private long _openUntil;

    /// <summary>True while Redis should be left alone.</summary>
    public bool IsOpen => Environment.TickCount64 < Volatile.Read(ref _openUntil);

    /// <summary>Opens the circuit; true if it was closed before (the caller logs once per outage, not per request).</summary>
    public bool Trip()
    {
        var now = Environment.TickCount64;
        var previous = Interlocked.Exchange(ref _openUntil, now + (long)breakDuration.TotalMilliseconds);
        return previous <= now;
    }
}
