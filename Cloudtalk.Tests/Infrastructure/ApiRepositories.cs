using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Caching;
using Cloudtalk.Tests.Caching;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// The Api's repositories run in the test process, on the system's real database and Redis, registered as the Api
/// registers them (the review-create batcher included), over one context that may carry a fault interceptor.
/// </summary>
public sealed class ApiRepositories : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly AsyncServiceScope _scope;
    private readonly IConnectionMultiplexer _redis;
    private readonly CacheAside _cache;

    private ApiRepositories(ApiDbContext db, IConnectionMultiplexer redis, CacheAside cache)
    {
        _redis = redis;
        _cache = cache;
        Db = db;
        _services = new ServiceCollection()
            .AddSingleton(db)
            .AddSingleton(cache)
            .AddSingleton(TimeProvider.System)
            .AddScoped<ProductRepository>()
            .AddScoped<ReviewRepository>()
            .AddSingleton<ReviewCreationBatcher>()
            .AddSingleton<ReviewIdBlocks>()
            .BuildServiceProvider(validateScopes: true);
        _scope = _services.CreateAsyncScope();
    }

    public ApiDbContext Db { get; }

    public ReviewRepository Reviews => _scope.ServiceProvider.GetRequiredService<ReviewRepository>();

    public ProductRepository Products => _scope.ServiceProvider.GetRequiredService<ProductRepository>();

    /// <summary>A review create as the Api hands it to <see cref="ReviewRepository.InsertBatchAsync"/>.</summary>
    public static NewReview NewReview(long productId, int rating) => new(new Review
    {
        ProductId = productId,
        FirstName = "Batch",
        Rating = rating,
        Version = 1,
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    }, RaisedIn: null);

    /// <param name="app">The running system.</param>
    /// <param name="fault">An interceptor on the context, if any.</param>
    public static async Task<ApiRepositories> StartAsync(CloudtalkApp app, IInterceptor? fault = null)
    {
        var db = await OpenDbContextAsync(app, fault);
        var redis = await app.ConnectRedisAsync();
        return new ApiRepositories(db, redis, TestCaches.Create(redis));
    }

    /// <summary>A context on the Api's database, configured as the Api configures it.</summary>
    /// <param name="app">The running system.</param>
    /// <param name="interceptor">An interceptor on the context, if any.</param>
    /// <param name="retrying">With the retrying execution strategy the Api uses.</param>
    public static async Task<ApiDbContext> OpenDbContextAsync(CloudtalkApp app, IInterceptor? interceptor = null, bool retrying = true)
    {
        var connectionString = await app.GetConnectionStringAsync("apidb");
        // Without retries, a fresh connection: a pooled one may be stale from an earlier test's PostgreSQL restart.
        var options = new DbContextOptionsBuilder<ApiDbContext>()
            .UseNpgsql(retrying ? connectionString : connectionString + ";Pooling=false", npgsql =>
            {
                if (retrying)
                {
                    npgsql.EnableRetryOnFailure();
                }
            });
        if (interceptor is not null)
        {
            options.AddInterceptors(interceptor);
        }

        ApiDbContext.ConfigureOptions(options);
        return new ApiDbContext(options.Options);
    }

    public async ValueTask DisposeAsync()
    {
        await _scope.DisposeAsync();
        // The batcher, after its last batch (the container disposes only what it made, not the instances above).
        await _services.DisposeAsync();
        _cache.Dispose();
        await _redis.DisposeAsync();
        await Db.DisposeAsync();
    }
}
