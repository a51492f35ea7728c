using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Common.Outbox;

/// <summary>The <c>outbox_messages</c> table.</summary>
public sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    /// <summary>The table name.</summary>
    public const string TableName = "outbox_messages";

    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable(TableName);
        builder.HasKey(message => message.Id);
        builder.Property(message => message.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(message => message.Sequence).HasColumnName("sequence").UseIdentityAlwaysColumn();
        builder.Property(message => message.Type).HasColumnName("type").HasMaxLength(100);
        builder.Property(message => message.RoutingKey).HasColumnName("routing_key").HasMaxLength(255);
        builder.Property(message => message.Payload).HasColumnName("payload").HasColumnType("jsonb");
        builder.Property(message => message.TraceParent).HasColumnName("trace_parent").HasMaxLength(55);
        builder.Property(message => message.TraceState).HasColumnName("trace_state").HasMaxLength(512);
        builder.Property(message => message.CreatedAt).HasColumnName("created_at");
        builder.Property(message => message.SentAt).HasColumnName("sent_at");

        // What the relay reads: unsent rows in creation order.
        builder.HasIndex(message => message.Sequence)
            .HasDatabaseName("ix_outbox_messages_unsent")
            .HasFilter("sent_at IS NULL");
        builder.HasIndex(message => message.SentAt)
            .HasDatabaseName("ix_outbox_messages_sent_at")
            .HasFilter("sent_at IS NOT NULL");
    }
}
