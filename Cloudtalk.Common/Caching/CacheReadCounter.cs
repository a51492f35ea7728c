using System.Diagnostics.Metrics;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// The <c>cloudtalk.cache.reads</c> counter of <see cref="CacheAside.WithCache{T}"/>: every read, tagged with the layer
/// that answered it, so a dashboard shows each layer's hit ratio and how often the source (the database) was asked.
/// </summary>
internal sealed class CacheReadCounter
{
    /// <summary>The name of the meter.</summary>
    public const string MeterName = "Cloudtalk.Caching";

    /// <summary>The name of the counter.</summary>
    public const string InstrumentName = "cloudtalk.cache.reads";

    /// <summary>The tag naming the layer that answered.</summary>
    public const string LayerTag = "cloudtalk.cache.layer";

    // Without a meter factory (a helper built by hand, as in the micro-benchmarks) the reads go to a meter of its own.
    private static readonly Meter SharedMeter = new(MeterName);

    private static readonly KeyValuePair<string, object?> InProcess = new(LayerTag, "process");
    private static readonly KeyValuePair<string, object?> Redis = new(LayerTag, "redis");
    private static readonly KeyValuePair<string, object?> Source = new(LayerTag, "source");

    private readonly Counter<long> _reads;

    public CacheReadCounter(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? SharedMeter;
        _reads = meter.CreateCounter<long>(InstrumentName, "{read}",
            "Reads through the cache, by the layer that answered: process (in-process layer), redis or source.");
    }

    public void AnsweredInProcess() => _reads.Add(1, InProcess);

    public void AnsweredByRedis() => _reads.Add(1, Redis);

    public void AnsweredBySource() => _reads.Add(1, Source);
}
