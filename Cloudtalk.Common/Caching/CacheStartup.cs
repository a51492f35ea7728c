using Microsoft.Extensions.Hosting;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// Bumps the cache epoch once when the service starts: a replica that crashed may have committed writes
/// whose invalidations never reached Redis. Does not delay startup when Redis is down (the bump then
/// happens on the first successful contact).
/// </summary>
internal sealed class CacheStartup(CacheAside cache) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => cache.RetireMissedInvalidationsAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
