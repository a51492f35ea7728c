using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Outbox;

/// <summary>Puts the outbox table into a service's model.</summary>
public static class OutboxModelBuilderExtensions
{
    /// <summary>Adds <see cref="OutboxMessage"/> (table <c>outbox_messages</c>) to the model; call it from <c>OnModelCreating</c>.</summary>
    /// <param name="modelBuilder">The model builder.</param>
    /// <returns>The model builder.</returns>
    public static ModelBuilder AddOutbox(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfiguration(new OutboxMessageConfiguration());
        return modelBuilder;
    }
}
