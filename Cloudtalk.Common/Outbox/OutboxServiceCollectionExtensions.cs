using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cloudtalk.Common.Outbox;

/// <summary>Registration of the transactional outbox of one context.</summary>
public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the relay of <typeparamref name="TContext"/>'s outbox (a hosted service), its options (section
    /// <c>Outbox</c>) and the interceptor that wakes it after each commit. Call it after the context itself is
    /// registered (e.g. after <c>builder.AddNpgsqlDbContext&lt;TContext&gt;(...)</c>); it needs an
    /// <see cref="Messaging.IEventPublisher"/> (<c>builder.AddMessaging()</c>).
    /// </summary>
    /// <typeparam name="TContext">The context whose model contains the outbox.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddOutbox<TContext>(this IServiceCollection services)
        where TContext : DbContext
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxSignal<TContext>>();
        services.ConfigureDbContext<TContext>((provider, options) =>
            options.AddInterceptors(new OutboxCommitInterceptor<TContext>(provider.GetRequiredService<OutboxSignal<TContext>>())));
        services.AddHostedService<OutboxRelay<TContext>>();
        return services;
    }
}
