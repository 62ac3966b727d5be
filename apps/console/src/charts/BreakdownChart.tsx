import "@mantine/charts/styles.css";
import { BarChart } from "@mantine/charts";

export default function BreakdownChart({ data }: { data: { status: string; messages: number }[] }) {
  return (
    <BarChart
      h={240}
      data={data}
      dataKey="status"
      aria-label="Messages by status"
      series={[{ name: "messages", label: "Messages", color: "blue.8" }]}
    />
  );
}
