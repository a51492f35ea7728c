using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cloudtalk.Common.Messaging;

/// <summary>Registration of the messaging building blocks.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MessagingOptions"/> (section <c>Messaging</c>) and the <see cref="IEventPublisher"/>.
    /// The RabbitMQ <c>IConnection</c> itself comes from Aspire: call <c>builder.AddRabbitMQClient("messaging")</c> too.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The builder.</returns>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName);
        builder.Services.TryAddSingleton<IEventPublisher, RabbitMqEventPublisher>();
        return builder;
    }

    /// <summary>
    /// Adds a hosted consumer of <paramref name="queue"/> whose batches <typeparamref name="THandler"/> handles
    /// (registered scoped); list the events it accepts on the returned builder.
    /// </summary>
    /// <typeparam name="THandler">The queue's handler.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue, one of <see cref="MessagingTopology.Queues"/>.</param>
    /// <returns>A builder to list the accepted events with.</returns>
    public static EventConsumerBuilder AddEventConsumer<THandler>(this IServiceCollection services, string queue)
        where THandler : class, IIntegrationEventBatchHandler
    {
        var registration = new EventConsumerRegistration(queue, typeof(THandler));
        services.TryAddScoped<THandler>();
        services.AddOptions<MessagingOptions>();
        services.AddSingleton<IHostedService>(provider => new EventConsumer(
            registration,
            provider,
            provider.GetRequiredService<IOptions<MessagingOptions>>(),
            provider.GetRequiredService<ILogger<EventConsumer>>()));
        return new EventConsumerBuilder(registration);
    }
}
