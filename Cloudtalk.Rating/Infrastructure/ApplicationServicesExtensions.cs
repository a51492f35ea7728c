using System.Net.Http.Headers;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Cloudtalk.Rating.Application;
using Cloudtalk.Rating.Reconciliation;
using Cloudtalk.ServiceDefaults;

namespace Cloudtalk.Rating.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>
    /// Everything Rating needs besides the service defaults: its database (migrated at start), the broker, the
    /// consumer of <c>rating.review-events</c>, the outbox relay that publishes <c>rating-updated</c>, and the rebuild
    /// that recomputes every rating from the Api's reviews.
    /// </summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RatingDbContext>("ratingdb",
            settings => settings.ConnectionString = ConnectionStringTuning.Apply(settings.ConnectionString));
        builder.AddRabbitMQClient("messaging");
        builder.AddMessaging();
        builder.Services.AddSingleton(TimeProvider.System);

        // Hosted services start in this order: the schema first, then whatever reads or writes it.
        builder.Services.AddDatabaseMigrationOnStartup<RatingDbContext>();
        builder.Services.AddOutbox<RatingDbContext>();
        builder.Services.AddEventConsumer<RatingProjection>(MessagingTopology.RatingReviewEventsQueue)
            .Accept<ReviewCreated>()
            .Accept<ReviewUpdated>()
            .Accept<ReviewDeleted>()
            .Accept<ProductDeleted>();
        builder.Services.AddHostedService<ProcessedEventsPurger>();

        // The rebuild reads the Api's reviews over HTTP (an operators' endpoint, behind the operations key): each
        // service keeps its own database.
        builder.Services.AddHttpClient<RatingSourceClient>(http =>
        {
            http.BaseAddress = new Uri(RatingSourceClient.ApiAddress);
            if (builder.Configuration[OperationsKey.ConfigurationKey] is { Length: > 0 } key)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        });
        builder.Services.AddScoped<RatingRebuild>();
        return builder;
    }
}
