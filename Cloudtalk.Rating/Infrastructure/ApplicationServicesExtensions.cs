using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Cloudtalk.Rating.Application;

namespace Cloudtalk.Rating.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>
    /// Everything Rating needs besides the service defaults: its database (migrated at start), the broker, the
    /// consumer of <c>rating.review-events</c> and the outbox relay that publishes <c>rating-updated</c>.
    /// </summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RatingDbContext>("ratingdb");
        builder.AddRabbitMQClient("messaging");
        builder.AddMessaging();
        builder.Services.AddSingleton(TimeProvider.System);

        // Hosted services start in this order: the schema first, then whatever reads or writes it.
        builder.Services.AddDatabaseMigrationOnStartup<RatingDbContext>();
        builder.Services.AddOutbox<RatingDbContext>();
        builder.Services.AddEventConsumer(MessagingTopology.RatingReviewEventsQueue)
            .AddHandler<ReviewCreated, RatingProjection>()
            .AddHandler<ReviewUpdated, RatingProjection>()
            .AddHandler<ReviewDeleted, RatingProjection>()
            .AddHandler<ProductDeleted, RatingProjection>();
        builder.Services.AddHostedService<ProcessedEventsPurger>();
        return builder;
    }
}
