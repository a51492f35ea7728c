using System.Globalization;

namespace Cloudtalk.AppHost.Caching;

public static class InProcessCacheExtensions
{
    /// <summary>The setting the Api reads (Caching:LocalTimeToLive); zero, its default, turns the layer off.</summary>
    public const string LocalTimeToLiveVariable = "Caching__LocalTimeToLive";

    /// <summary>How long the Api keeps an entry in process when the layer is on.</summary>
    public static readonly TimeSpan LocalTimeToLive = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Turns on the Api's in-process cache layer when exactly one Api replica runs locally. There every write
    /// invalidates it synchronously, so a read after a write is exact. With several replicas the other replicas hear
    /// of a write through Redis pub/sub, a moment after the writer answered; the contract allows no such moment, so
    /// the layer stays off and every replica reads Redis. Publish mode leaves the Api's default (off): a deployment
    /// scales out.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInProcessCacheWhenSingle(
        this IResourceBuilder<ProjectResource> api, IDistributedApplicationBuilder builder, int replicas) =>
        replicas == 1 && !builder.ExecutionContext.IsPublishMode
            ? api.WithEnvironment(LocalTimeToLiveVariable, LocalTimeToLive.ToString("c", CultureInfo.InvariantCulture))
            : api;
}
