using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Persistence;

namespace Cloudtalk.Api.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>Everything the Api needs besides the service defaults: database, cache, broker, errors, OpenAPI.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<ApiDbContext>("apidb", configureDbContextOptions: ApiDbContext.ConfigureOptions);
        // First hosted service: the schema is current before Kestrel accepts a request.
        builder.Services.AddDatabaseMigrationOnStartup<ApiDbContext>();

        builder.AddRedisClient("cache", configureOptions: options =>
        {
            // A cache must fail fast: never block startup, never hold a request longer than ~0.5 s.
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 500;
            options.SyncTimeout = 500;
            options.AsyncTimeout = 500;
            options.ConnectRetry = 1;
        });
        builder.Services.AddCacheAside();

        builder.AddRabbitMQClient("messaging");

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<ProductRepository>();
        builder.Services.AddScoped<ReviewRepository>();

        // Numbers are JSON numbers: no "5" for 5 (this also keeps strings out of the OpenAPI number schemas).
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        builder.Services.AddApiErrorHandling();
        builder.Services.AddApiOpenApi();
        return builder;
    }
}
