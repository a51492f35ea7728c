using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Ratings;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cloudtalk.Api.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>Everything the Api needs besides the service defaults: database, cache, broker, errors, OpenAPI.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<ApiDbContext>("apidb",
            settings => settings.ConnectionString = ConnectionStringTuning.Apply(settings.ConnectionString),
            ApiDbContext.ConfigureOptions);
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
        // Without Redis the Api still answers (from PostgreSQL): report it as Degraded (still a 200 on /health),
        // so an orchestrator does not take every replica out of service because the cache is down.
        builder.Services.Configure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations.Where(r => r.Name == "StackExchange.Redis"))
            {
                registration.FailureStatus = HealthStatus.Degraded;
            }
        });

        builder.AddRabbitMQClient("messaging");
        builder.Services.AddSingleton(TimeProvider.System);

        // Hosted services start in registration order: these come after the migration above, so the relay and the
        // consumer never touch a schema that is not there yet.
        builder.AddMessaging();
        builder.Services.AddOutbox<ApiDbContext>();
        builder.Services.AddEventConsumer<RatingUpdatedHandler>(MessagingTopology.ApiRatingUpdatedQueue)
            .Accept<RatingUpdated>();
        builder.Services.AddHostedService<IdempotencyKeyPurger>();

        builder.Services.AddScoped<ProductRepository>();
        builder.Services.AddScoped<ReviewRepository>();
        builder.Services.AddSingleton<ReviewCreationBatcher>();
        builder.Services.AddSingleton<ReviewIdBlocks>();

        // Numbers are JSON numbers: no "5" for 5 (this also keeps strings out of the OpenAPI number schemas).
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        builder.Services.AddApiErrorHandling();
        builder.Services.AddApiOpenApi();
        return builder;
    }
}
