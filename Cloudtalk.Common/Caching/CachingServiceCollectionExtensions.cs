using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Common.Caching;

/// <summary>Registration of <see cref="CacheAside"/>.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CacheAside"/> as a singleton, with <see cref="CacheOptions"/> bound from the
    /// <c>Caching</c> section. Needs an <c>IConnectionMultiplexer</c> (e.g. Aspire's <c>AddRedisClient</c>),
    /// configured so that it fails fast: <c>AbortOnConnectFail = false</c> and short timeouts.
    /// </summary>
    public static IServiceCollection AddCacheAside(this IServiceCollection services)
    {
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName);
        services.AddSingleton<CacheAside>();
        services.AddHostedService<CacheStartup>();
        return services;
    }
}
