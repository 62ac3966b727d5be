import "@mantine/charts/styles.css";
import { BarChart } from "@mantine/charts";

export default function ActivityChart({
  data,
}: {
  data: { slot: string; sent: number; delivered: number }[];
}) {
  return (
    <BarChart
      h={220}
      data={data}
      dataKey="slot"
      withLegend
      aria-label="Messages sent and delivered"
      series={[
        { name: "sent", label: "Sent", color: "blue.8" },
        { name: "delivered", label: "Delivered", color: "teal.8" },
      ]}
    />
  );
}
